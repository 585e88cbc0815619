// Benchmark "pitr" (issue 17): on a private cluster of its own holding one seeded library,
// (1) Keepsake's base backup (`keepsake pitr enable`: pg_basebackup -Ft client-zstd:1, then
// pg_verifybackup on an unpacked copy) next to `pgbackrest backup --type=full` with lz4 and with
// gz and next to `keepsake backup create`; (2) `keepsake pitr restore --latest --yes` next to
// `keepsake restore` of a logical backup of the same state, both on the cluster as Keepsake's
// embedded one (its data folder replaced by the PITR restore), with the PITR restore's phases;
// (3) the archive's lag under a paced writer of ~500 small transactions/s, asynchronous and
// synchronous. Targets: base backup within 1.5x of pgBackRest's gz (zstd level 1 sits between
// pgBackRest's lz4 and gz in size); PITR restore at most half the logical restore's time; lag p99 < 1 s.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "db/connection.h"
#include "db/embedded_postgres.h"
#include "harness.h"
#include "pitr/pitr.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

uint64_t folder_bytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

std::string mb(double bytes) { return fixed_text(bytes / 1e6, 1) + " MB"; }
std::string secs(double s) { return fixed_text(s, s < 10 ? 2 : 1) + " s"; }
std::string met(bool ok) { return ok ? "**met**" : "**missed**"; }

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

double log_seconds(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return -1;
  return std::atof(m[1].str().c_str());
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct LagRun {
  std::string mode;
  double seconds = 0, commits = 0;
  std::vector<double> lag_bytes, lag_seconds;
};

class PitrBench : public Benchmark {
 public:
  std::string name() const override { return "pitr"; }
  std::string title() const override {
    return "pitr — base backup vs `pgbackrest backup --type=full` (lz4, gz) and `keepsake backup create`; "
           "`pitr restore` vs `keepsake restore`; archive lag";
  }
  std::string description() const override {
    return "A cluster of the benchmark's own (started in its temp folder, same settings as the embedded "
           "cluster: fsync on, wal_level replica) holds one seeded library (`keepsake dev seed --no-vector-indexes`, "
           "the backup benchmark's library) and the small Immich template it was copied from; the physical "
           "ways copy that whole cluster, the logical ones the library's database. (1) Keepsake's base backup is "
           "the whole `keepsake pitr enable` (readiness checks, slot, `pg_basebackup -Ft --compress=client-zstd:1 "
           "-X stream --checkpoint=fast`, then `pg_verifybackup` on an unpacked copy, then WAL streamed to the "
           "current position); its pg_basebackup and verification phases come from the base backup's own record "
           "(keepsake-backup.json). Its compression is zstd level 1 (gzip level 1 before 2026-12; docs/PITR.md), "
           "between pgBackRest's lz4 and gz in size. pgBackRest 2.45 takes a full "
           "backup of the same cluster into a throwaway repository in the temp folder (its own stanza, "
           "`start-fast=y`, `archive-check=n` since no archive_command is set, `process-max=1` as pg_basebackup is "
           "one process; its default levels: lz4 1, gz 6), run as the cluster's owner. Sizes are the bytes on disk "
           "of the backup / repository. (2) After the lag runs, `keepsake backup create` takes the logical backup "
           "of the library's state; `keepsake pitr restore --latest --yes` then restores that same state "
           "(recovery of a scratch cluster from the base backup and the archived WAL, beside the cluster; migrations "
           "and the restore checks there; then its data folder replaces the cluster's), and `keepsake restore "
           "<file> --yes` restores the logical backup (beside-then-swap loader). Both run as Keepsake does on its "
           "embedded cluster (no DB_URL; the benchmark's cluster lies where Keepsake keeps it, "
           "<data>/postgres, socket only). (3) A paced writer (8 libpq connections, each an autocommit INSERT of a "
           "short row every 16 ms: 500 commits/s together, since one connection's commits wait for the fsync) runs while `pitr::WalStreamer` (what `keepsake serve` runs) streams; every 100 ms a "
           "second connection reads the lag from `pg_stat_replication` for the archive's walsender: bytes = "
           "`pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)` (what the archive has flushed; `pitr status` "
           "uses the slot's restart_lsn, which follows the same flush reports), seconds = `flush_lag` "
           "(PostgreSQL's time between flushing WAL locally and the archive reporting it flushed; NULL, "
           "counted 0, when it is caught up).";
  }
  int64_t default_size() const override { return 200000; }
  int default_runs() const override { return 1; }
  std::string size_unit() const override { return "assets"; }

  std::optional<std::string> own_results(BenchEnv& env, int64_t size, int) override {
    load_before_ = load_average();
    // Where Keepsake keeps its embedded cluster for KEEPSAKE_DATA_DIR=<own>/data (its socket only,
    // named for port 5432), so that the restores run on it as on the embedded cluster.
    Config own_config;
    own_config.data_dir = env.work_dir() + "/own/data";
    db::EmbeddedOptions o = db::embedded_options_for(own_config);
    o.database = "";
    db::EmbeddedPostgres cluster(o);
    cluster.start();
    std::string results;
    try {
      BenchEnv own(cluster, env.work_dir() + "/own", env.keepsake_binary(), env.work_dir() + "/own-shared");
      fs::create_directories(env.work_dir() + "/own");
      results = measure(own, o, size);
    } catch (...) {
      cluster.stop();  // its folder, the archive and the slot in it go with the work folder
      throw;
    }
    cluster.stop();
    return results;
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# once, into the benchmark's own cluster: " + seed_command(library_seed_args(size, "--no-vector-indexes")),
            "# the cluster: WORK/data/postgres (Keepsake's embedded cluster for KEEPSAKE_DATA_DIR=WORK/data)",
            "# ENV: DB_URL=postgresql://postgres@localhost/LIB?host=SOCKET&port=5432 KEEPSAKE_DATA_DIR=WORK/data "
            "IMMICH_MEDIA_LOCATION=WORK/media",
            "# EMBEDDED: as ENV without DB_URL, with DB_DATABASE_NAME=LIB",
            "ENV keepsake pitr enable",
            "# pgbackrest.conf: [global] repo1-path=WORK/repo-TYPE log-path lock-path spool-path in WORK, "
            "log-level-file=off, compress-type=TYPE, start-fast=y, archive-check=n, process-max=1; "
            "[bench] pg1-path=CLUSTER/data pg1-socket-path=SOCKET pg1-port=PORT pg1-user=postgres",
            "runuser -u postgres -- pgbackrest --config=WORK/pgbackrest-TYPE.conf --stanza=bench stanza-create",
            "runuser -u postgres -- pgbackrest --config=WORK/pgbackrest-TYPE.conf --stanza=bench backup --type=full",
            "ENV keepsake backup create   # (1) the logical backup, timed; its file removed",
            "# lag: pitr::WalStreamer(LIB, WORK/data/pitr, synchronous) + 8 connections, each INSERT INTO "
            "pitr_bench_writes every 16 ms "
            "for " + std::to_string(kLagSeconds) + " s, sampled every 100 ms",
            "ENV keepsake backup create   # (2) the state both restores bring back, untimed",
            "EMBEDDED IMMICH_LOG_LEVEL=log keepsake pitr restore --latest --yes",
            "EMBEDDED keepsake restore FILE --yes",
            "ENV keepsake pitr disable --yes"};
  }

 private:
  static constexpr int kLagSeconds = 60;
  static constexpr int kWriters = 8;
  static constexpr int kCommitsPerSecond = 500;

  std::string measure(BenchEnv& own, const db::EmbeddedOptions& o, int64_t size) {
    std::cerr << "  seeding the benchmark's own cluster\n";
    SeededLibrary lib = own.seeded_library(library_seed_args(size, "--no-vector-indexes"));
    lib_ = lib.dbname;
    auto e = own.keepsake_env(lib_);
    e["IMMICH_MEDIA_LOCATION"] = own.work_dir() + "/media";
    fs::create_directories(own.work_dir() + "/media");
    {
      auto conn = db::Connection::open(own.database("postgres"));
      cluster_bytes_ = static_cast<double>(conn->exec("SELECT sum(pg_database_size(oid))::bigint FROM pg_database").int64(0, 0));
      db_bytes_ = static_cast<double>(conn->exec("SELECT pg_database_size($1)", {lib_}).int64(0, 0));
    }
    // Untimed: the vacuum autovacuum would otherwise run on the fresh library during the backups
    // (its WAL lands in Keepsake's self-contained base backup, in no pgBackRest backup).
    db::Connection::open(own.database(lib_))->exec("VACUUM (ANALYZE)");
    db::Connection::open(own.database("postgres"))->exec("CHECKPOINT");
    std::ostringstream md;
    md << "- Library: database " << mb(db_bytes_) << ", whole cluster " << mb(cluster_bytes_)
       << "; load average before: " << load_before_ << " (2 cores, shared with other builds)\n\n";
    md << base_backups(own, o, e);
    md << lag_runs(own);
    md << restores(own, e);
    own.run({own.keepsake_binary(), "pitr", "disable", "--yes"}, e);
    md << "\nLoad average after: " << load_average() << ".\n";
    return md.str();
  }

  // ---- (1) base backups ------------------------------------------------------------------------

  std::string base_backups(BenchEnv& own, const db::EmbeddedOptions& o, const std::map<std::string, std::string>& e) {
    std::cerr << "  keepsake pitr enable\n";
    auto start = Clock::now();
    auto r = own.run({own.keepsake_binary(), "pitr", "enable"}, e);
    double enable_s = seconds_since(start);
    std::string archive = own.work_dir() + "/data/pitr";
    archive_ = archive;
    nlohmann::json rec;
    for (auto& entry : fs::directory_iterator(archive + "/base")) {
      std::ifstream in(entry.path() / "keepsake-backup.json");
      rec = nlohmann::json::parse(in, nullptr, false);
    }
    auto us = [&](const char* key) { return rec.is_object() ? rec.value(key, int64_t{0}) : int64_t{0}; };
    double basebackup_s = static_cast<double>(us("end_us") - us("start_us")) / 1e6;
    double verify_s = static_cast<double>(us("verified_us") - us("end_us")) / 1e6;
    double base_bytes = static_cast<double>(folder_bytes(archive + "/base"));
    if (basebackup_s <= 0) {  // an unexpected record: fall back on the command's own words
      basebackup_s = log_seconds(r.out, R"(verified, ([0-9.]+) s)");
      verify_s = -1;
    }
    double keepsake_s = verify_s >= 0 ? basebackup_s + verify_s : basebackup_s;

    auto lz4 = pgbackrest(own, o, "lz4");
    auto gz = pgbackrest(own, o, "gz");

    std::cerr << "  keepsake backup create\n";
    start = Clock::now();
    auto lr = own.run({own.keepsake_binary(), "backup", "create"}, e);
    double logical_s = seconds_since(start);
    std::string file = lr.out.substr(0, lr.out.find('\n'));
    double logical_bytes = fs::exists(file) ? static_cast<double>(fs::file_size(file)) : 0;
    if (fs::exists(file)) fs::remove(file), fs::remove(file + ".sha256");

    std::ostringstream md;
    md << "### Base backup (1 run each: K, lz4, gz, logical)\n\n"
       << "| way | time | size | Keepsake's base backup / this (time) |\n|---|---|---|---|\n"
       << "| Keepsake base backup: pg_basebackup (client-zstd:1) + pg_verifybackup | " << secs(keepsake_s) << " ("
       << secs(basebackup_s) << " + verification " << (verify_s >= 0 ? secs(verify_s) : "?") << ") | "
       << mb(base_bytes) << " | 1.00× |\n"
       << "| the whole `keepsake pitr enable` (checks, slot, base backup, verification, WAL stream) | "
       << secs(enable_s) << " | | " << fixed_text(keepsake_s / enable_s, 2) << "× |\n"
       << "| `pgbackrest backup --type=full`, compress-type=lz4 | " << secs(lz4.first) << " | " << mb(lz4.second)
       << " | " << fixed_text(keepsake_s / lz4.first, 2) << "× |\n"
       << "| `pgbackrest backup --type=full`, compress-type=gz (level 6) | " << secs(gz.first) << " | "
       << mb(gz.second) << " | " << fixed_text(keepsake_s / gz.first, 2) << "× |\n"
       << "| `keepsake backup create` (logical, one database, verified) | " << secs(logical_s) << " | "
       << mb(logical_bytes) << " | " << fixed_text(keepsake_s / logical_s, 2) << "× |\n\n";
    double ratio = keepsake_s / gz.first;
    md << "Target: base backup within 1.5× of pgBackRest's full backup of the same compression class (gz): "
       << fixed_text(ratio, 2) << "× — " << met(ratio <= 1.5) << " (with verification; pg_basebackup alone "
       << fixed_text(basebackup_s / gz.first, 2) << "×; against lz4, a class Keepsake does not offer, "
       << fixed_text(keepsake_s / lz4.first, 2) << "×).\n\n";
    return md.str();
  }

  // Time and repository size of one pgBackRest full backup of the benchmark's cluster.
  std::pair<double, double> pgbackrest(BenchEnv& own, const db::EmbeddedOptions& o, const std::string& type) {
    std::cerr << "  pgbackrest backup --type=full (" << type << ")\n";
    std::string dir = own.work_dir() + "/pgbackrest-" + type;
    fs::create_directories(dir);
    DatabaseConfig c = own.database("postgres");
    std::string conf = dir + "/pgbackrest.conf";
    std::ofstream(conf) << "[global]\nrepo1-path=" << dir << "/repo\nlog-path=" << dir << "/log\nlock-path=" << dir
                        << "/lock\nspool-path=" << dir << "/spool\nlog-level-console=warn\nlog-level-file=off\n"
                        << "compress-type=" << type << "\nstart-fast=y\narchive-check=n\nprocess-max=1\nrepo1-retention-full=1\n"
                        << "\n[bench]\npg1-path=" << o.cluster_dir << "/data\npg1-socket-path=" << c.host
                        << "\npg1-port=" << c.port << "\npg1-user=" << c.user << "\n";
    if (geteuid() == 0) own.run({"/bin/chown", "-R", "postgres:postgres", dir});
    auto tool = [&](std::vector<std::string> command) {
      std::vector<std::string> argv = {"/usr/bin/pgbackrest", "--config=" + conf, "--stanza=bench"};
      if (geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
      argv.insert(argv.end(), command.begin(), command.end());
      return own.run(argv);
    };
    tool({"stanza-create"});
    auto start = Clock::now();
    tool({"backup", "--type=full"});
    double s = seconds_since(start);
    double bytes = static_cast<double>(folder_bytes(dir + "/repo/backup"));
    fs::remove_all(dir);
    return {s, bytes};
  }

  // ---- (3) archive lag -------------------------------------------------------------------------

  std::string lag_runs(BenchEnv& own) {
    {
      auto conn = db::Connection::open(own.database(lib_));
      conn->exec("CREATE TABLE IF NOT EXISTS pitr_bench_writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL "
                 "DEFAULT now(), note text NOT NULL)");
    }
    std::vector<LagRun> runs = {lag_run(own, false), lag_run(own, true)};
    std::ostringstream md;
    md << "### Archive lag under ~500 small transactions/s (" << kLagSeconds << " s each)\n\n"
       << "| mode | commits/s reached | lag bytes p50 / p99 / max | lag seconds p50 / p99 / max | p99 < 1 s |\n"
       << "|---|---|---|---|---|\n";
    for (auto& r : runs) {
      auto b = [&](double q) { return fixed_text(quantile(r.lag_bytes, q), 0); };
      auto t = [&](double q) { return fixed_text(quantile(r.lag_seconds, q), 4); };
      md << "| " << r.mode << " | " << fixed_text(r.commits / r.seconds, 0) << " | " << b(0.5) << " / " << b(0.99)
         << " / " << b(1.0) << " | " << t(0.5) << " / " << t(0.99) << " / " << t(1.0) << " | "
         << met(quantile(r.lag_seconds, 0.99) < 1.0) << " |\n";
    }
    md << "\n" << runs[0].lag_seconds.size() << " samples per mode (every 100 ms).\n\n";
    return md.str();
  }

  LagRun lag_run(BenchEnv& own, bool synchronous) {
    std::cerr << "  lag, " << (synchronous ? "synchronous" : "default") << " mode\n";
    LagRun run;
    run.mode = synchronous ? "KEEPSAKE_PITR_SYNCHRONOUS=true" : "default (asynchronous)";
    pitr::WalStreamer streamer(own.database(lib_), archive_, synchronous);
    streamer.start();
    auto sampler = db::Connection::open(own.database(lib_));
    // Wait until the stream runs (and, synchronous, until commits wait for it), at most 30 s.
    for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
      auto r = sampler->exec("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND "
                             "pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1)",
                             {pitr::kSlotName});
      bool waits = !synchronous || sampler->exec("SHOW synchronous_standby_names").text(0, 0) != "";
      if (r.int64(0, 0) == 1 && waits) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::atomic<bool> done{false};
    std::atomic<int64_t> commits{0};
    // Commits wait for the local fsync (and, synchronous, for the archive's): one connection alone
    // cannot reach 500/s here, so kWriters connections share the pace.
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto conn = db::Connection::open(own.database(lib_));
        const auto period = std::chrono::microseconds(1000000 * kWriters / kCommitsPerSecond);
        auto next = Clock::now() + period * w / kWriters;
        while (!done) {
          std::this_thread::sleep_until(next);
          conn->exec("INSERT INTO pitr_bench_writes (note) VALUES ($1)", {"favourite " + std::to_string(commits++)});
          next += period;
        }
      });
    }
    auto start = Clock::now();
    while (seconds_since(start) < kLagSeconds) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto r = sampler->exec(
          "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), r.flush_lsn)::bigint, "
          "coalesce(extract(epoch FROM r.flush_lag), 0)::float8 FROM pg_stat_replication r "
          "WHERE r.pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1)",
          {pitr::kSlotName});
      if (r.rows() != 1 || r.is_null(0, 0)) continue;
      run.lag_bytes.push_back(static_cast<double>(std::max<int64_t>(0, r.int64(0, 0))));
      run.lag_seconds.push_back(std::atof(r.text(0, 1).c_str()));
    }
    done = true;
    for (auto& w : writers) w.join();
    run.seconds = seconds_since(start);
    run.commits = static_cast<double>(commits.load());
    streamer.stop();
    return run;
  }

  // ---- (2) restores ----------------------------------------------------------------------------

  std::string restores(BenchEnv& own, std::map<std::string, std::string> e) {
    std::cerr << "  keepsake backup create (the state both restores bring back)\n";
    auto lr = own.run({own.keepsake_binary(), "backup", "create"}, e);
    std::string file = fs::path(lr.out.substr(0, lr.out.find('\n'))).filename().string();

    std::cerr << "  keepsake pitr restore --latest --yes\n";
    e.erase("DB_URL");
    e["DB_DATABASE_NAME"] = lib_;
    e["IMMICH_LOG_LEVEL"] = "log";
    auto start = Clock::now();
    auto pr = own.run({own.keepsake_binary(), "pitr", "restore", "--latest", "--yes"}, e);
    double pitr_s = seconds_since(start);
    std::string log = pr.out + pr.err;
    double recovered_s = log_seconds(log, R"(PITR: recovered and checked in \S+ \(([0-9.]+) s\))");
    double swap_s = log_seconds(log, R"(PITR: the recovered data folder replaced the embedded cluster's.* in ([0-9.]+) s)");
    drop_restore_leftovers(own);

    std::cerr << "  keepsake restore " << file << " --yes\n";
    e["IMMICH_LOG_LEVEL"] = "warn";
    start = Clock::now();
    own.run({own.keepsake_binary(), "restore", file, "--yes"}, e);
    double logical_s = seconds_since(start);
    drop_restore_leftovers(own);

    std::ostringstream md;
    md << "### Restore of the same state (1 run each)\n\n| way | time | logical / PITR |\n|---|---|---|\n"
       << "| `keepsake pitr restore --latest --yes` | " << secs(pitr_s) << " | " << fixed_text(logical_s / pitr_s, 2)
       << "× |\n| `keepsake restore <file> --yes` | " << secs(logical_s) << " | 1.00× |\n\n"
       << "PITR restore phases (from its log): scratch cluster recovered from the base backup + WAL, migrations "
       << "and the restore checks " << (recovered_s >= 0 ? secs(recovered_s) : "?")
       << "; data folder swapped (cluster stopped, renamed, started) and the archive on the new timeline "
       << (swap_s >= 0 ? secs(swap_s) : "?") << "; the rest (process start, maintenance mode, write fence, "
       << "archive caught up) " << (recovered_s >= 0 && swap_s >= 0 ? secs(pitr_s - recovered_s - swap_s) : "?")
       << ".\n\nTarget: PITR restore at most half the logical restore's time: " << fixed_text(pitr_s / logical_s, 2)
       << "× of it — " << met(pitr_s <= 0.5 * logical_s) << ".\n";
    return md.str();
  }

  void drop_restore_leftovers(BenchEnv& own) {
    for (auto& entry : fs::directory_iterator(own.work_dir() + "/data/postgres")) {
      if (entry.path().filename().string().rfind("data.before-pitr-", 0) == 0) fs::remove_all(entry.path());
    }
    auto admin = db::Connection::open(own.database("postgres"));
    auto r = admin->exec("SELECT datname FROM pg_database WHERE datname LIKE $1", {lib_ + "\\_%restore\\_%"});
    for (int i = 0; i < r.rows(); ++i) own.drop_database(r.text(i, 0));
  }

  std::string lib_, archive_, load_before_;
  double cluster_bytes_ = 0, db_bytes_ = 0;
};

KEEPSAKE_BENCHMARK(PitrBench);

}  // namespace
}  // namespace keepsake::bench
