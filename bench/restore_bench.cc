// Benchmark "restore": `keepsake restore <file> --yes` (scan, load into a scratch database over
// two connections, indexes and constraints built in parallel, migrations and checks, the swap)
// against Immich's documented manual restore `gunzip < f | psql --single-transaction
// -v ON_ERROR_STOP=1` into an empty database (anchor A), and against that same psql pipeline with
// maintenance_work_mem as large as Keepsake gives its index builds (anchor B), on the backup of
// one seeded library with its embeddings (the backup benchmark's library: its two HNSW indexes are
// left out, because building them takes hours on 2 cores for each way alike).
// Target (issue 8): >= 1.5x faster than gunzip | psql.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "common/error.h"
#include "db/connection.h"
#include "db/index_build_memory.h"
#include "harness.h"
#include "restore/restore_service.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class RestoreBench : public Benchmark {
 public:
  std::string name() const override { return "restore"; }
  std::string title() const override { return "restore — `keepsake restore` vs `gunzip < f | psql`"; }
  std::string description() const override {
    return "One library is seeded once (`keepsake dev seed --no-vector-indexes`: every table with its 512-d "
           "embeddings, the same library as the backup benchmark; the two HNSW indexes are left out because "
           "building them for this many vectors takes hours on 2 cores, for every way alike) and backed up once with `keepsake backup create`. Every run restores that file into a fresh target "
           "(made before the clock starts, dropped after it stops). Keepsake's time is the whole `keepsake restore "
           "<file> --yes` process: it enters maintenance mode, takes lock 621, scans the whole file, loads it into a "
           "scratch database over 2 connections (the COPY data cut into pieces at the backup's 32 MiB gzip "
           "members, each connection decompressing only its own pieces; tables of uuid and vector columns, "
           "smart_search and face_search among them, sent as COPY BINARY with the floats parsed by Keepsake "
           "instead of the server's strtof), builds indexes and constraints over 2 connections (largest table "
           "first, maintenance_work_mem " + memory_ + "), runs the migrations and checks (admin, schema drift), "
           "swaps the databases and ends maintenance mode. Anchor A is Immich's documented restore "
           "`gunzip < f | psql --single-transaction -v ON_ERROR_STOP=1` into an empty database, with the "
           "server's maintenance_work_mem (" + server_memory_ + " on the harness's cluster); anchor B is the same "
           "pipeline with PGOPTIONS giving psql's session the same maintenance_work_mem as Keepsake's index "
           "builds, to show what remains once memory is equal.";
  }
  int64_t default_size() const override { return 200000; }
  int default_runs() const override { return 1; }
  std::string size_unit() const override { return "assets"; }
  std::string units_name() const override { return "rows"; }
  std::string keepsake_label() const override { return "`keepsake restore <file> --yes`"; }
  std::string anchor_label() const override { return "`gunzip < f | psql --single-transaction`"; }
  std::optional<double> target_ratio() const override { return 1.5; }
  std::string target_ratio_text() const override { return "≥ 1.5× faster than `gunzip < f | psql`"; }
  std::string second_anchor_label() const override {
    return "the same with PGOPTIONS=-c maintenance_work_mem=" + memory_;
  }

  void prepare(BenchEnv& env, int64_t size) override {
    SeededLibrary lib = env.seeded_library(library_seed_args(size, "--no-vector-indexes"));
    seed_output_ = lib.reused ? "(library reused from an earlier run on this cluster)" : lib.seed_output;
    media_ = env.work_dir() + "/media";
    fs::create_directories(media_);
    auto e = env.keepsake_env(lib.dbname);
    e["IMMICH_MEDIA_LOCATION"] = media_;
    std::cerr << "  backing the library up once\n";
    auto r = env.run({env.keepsake_binary(), "backup", "create"}, e);
    path_ = r.out.substr(0, r.out.find('\n'));
    if (path_.empty() || !fs::exists(path_)) throw Error(ErrorKind::kInternal, "no backup file: " + r.out);
    file_ = fs::path(path_).filename().string();
    auto conn = db::Connection::open(env.database(lib.dbname));
    rows_ = static_cast<double>(conn->exec("SELECT sum(reltuples)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                                        "c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                                                        "AND c.reltuples > 0").int64(0, 0));
    vectors_ = conn->exec("SELECT (SELECT count(*) FROM smart_search) + (SELECT count(*) FROM face_search)").int64(0, 0);
    server_memory_ = conn->exec("SHOW maintenance_work_mem").text(0, 0);
    memory_ = db::machine_maintenance_work_mem(2);
    file_bytes_ = static_cast<double>(fs::file_size(path_));
  }

  Measurement run_keepsake(BenchEnv& env, int64_t) override {
    std::string target = env.create_bootstrapped_database("restore_live");
    auto e = env.keepsake_env(target);
    e["IMMICH_MEDIA_LOCATION"] = media_;
    auto start = Clock::now();
    auto r = env.run({env.keepsake_binary(), "restore", file_, "--yes"}, e);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    last_output_ = r.out;
    drop_restore_leftovers(env, target);
    env.drop_database(target);
    return {s, rows_};
  }

  Measurement run_anchor(BenchEnv& env, int64_t) override { return psql_restore(env, ""); }
  Measurement run_second_anchor(BenchEnv& env, int64_t) override {
    return psql_restore(env, "-c maintenance_work_mem=" + memory_);
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# once: " + seed_command(library_seed_args(size, "--no-vector-indexes")),
            "# once: keepsake backup create   (IMMICH_MEDIA_LOCATION=WORK/media) -> " + file_,
            "# Keepsake, into a fresh bootstrapped database LIVE:",
            "DB_URL=postgresql://postgres@localhost/LIVE?host=SOCKET&port=PORT IMMICH_MEDIA_LOCATION=WORK/media "
            "keepsake restore " + file_ + " --yes",
            "# Anchors, into a fresh empty database (B adds PGOPTIONS='-c maintenance_work_mem=" + memory_ + "'):",
            "gunzip < " + file_ + " | psql -X -q --single-transaction -v ON_ERROR_STOP=1 -d URL > /dev/null"};
  }

  std::vector<std::string> findings() const override {
    return {"Backup: " + std::to_string(static_cast<int64_t>(file_bytes_ / 1e6)) + " MB gzip, " +
                std::to_string(static_cast<int64_t>(rows_)) + " rows, " + std::to_string(vectors_) +
                " embeddings (smart_search + face_search), no HNSW index. Output of Keepsake's last "
                "run:\n\n```\n" + last_output_ + "```",
            "The library (output of `keepsake dev seed`):\n\n```\n" + seed_output_ + "\n```"};
  }

 private:
  Measurement psql_restore(BenchEnv& env, const std::string& pgoptions) {
    std::string target = "restore_psql_" + std::to_string(++runs_);
    {
      auto admin = db::Connection::open(env.database("postgres"));
      admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(target));
      admin->exec("CREATE DATABASE " + db::quote_ident(target));
    }
    std::map<std::string, std::string> e = {{"FILE", path_}, {"URL", env.database_url(target)}, {"PSQL", env.psql()}};
    if (!pgoptions.empty()) e["PGOPTIONS"] = pgoptions;
    auto start = Clock::now();
    env.run({"/bin/sh", "-c",
             "gunzip < \"$FILE\" | \"$PSQL\" -X -q --single-transaction -v ON_ERROR_STOP=1 -d \"$URL\" > /dev/null"},
            e);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    env.drop_database(target);
    return {s, rows_};
  }

  void drop_restore_leftovers(BenchEnv& env, const std::string& live) {
    auto admin = db::Connection::open(env.database("postgres"));
    auto r = admin->exec("SELECT datname FROM pg_database WHERE datname LIKE $1", {live + "\\_%restore\\_%"});
    for (int i = 0; i < r.rows(); ++i) env.drop_database(r.text(i, 0));
  }

  std::string media_, path_, file_, last_output_, seed_output_, memory_ = "?", server_memory_ = "?";
  double rows_ = 0, file_bytes_ = 0;
  int64_t vectors_ = 0;
  int runs_ = 0;
};

KEEPSAKE_BENCHMARK(RestoreBench);

}  // namespace
}  // namespace keepsake::bench
