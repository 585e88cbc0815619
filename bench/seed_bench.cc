// Benchmark "seed": `keepsake dev seed` (generates the library and streams it with COPY) against
// psql loading the very same rows from a COPY script, each into a fresh bootstrapped database.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>

#include "common/error.h"
#include "db/connection.h"
#include "harness.h"

namespace keepsake::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The seeder's load order (foreign keys first). asset.stackId and person.faceAssetId are set
// afterwards through staging tables, exactly as the seeder does.
const char* const kTables[] = {
    "user", "partner", "asset", "asset_exif", "asset_file", "asset_job_status", "smart_search",
    "stack", "person", "asset_face", "face_search", "album", "album_asset", "album_user", "tag",
    "tag_closure", "tag_asset", "memory", "memory_asset", "session", "notification",
    "asset_audit", "asset_face_audit", "album_audit", "album_asset_audit", "album_user_audit",
    "person_audit", "stack_audit", "memory_audit", "memory_asset_audit", "partner_audit",
    "user_audit", "audit"};

constexpr const char* kNow = "2026-01-01";
// Above this many assets the runs pass --no-vector-indexes: pgvector's HNSW build (m=16,
// ef_construction=300) of hundreds of thousands of vectors takes far longer on 2 cores than the
// load itself and is the same work for both ways.
constexpr int64_t kLargestIndexedSeed = 20000;

std::vector<std::string> columns_of(db::Connection& conn, const std::string& table) {
  auto r = conn.exec(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND "
      "table_name = $1 ORDER BY ordinal_position",
      {table}, "read the columns of " + table);
  std::vector<std::string> cols;
  for (int i = 0; i < r.rows(); ++i) {
    std::string c = r.text(i, 0);
    if ((table == "asset" && c == "stackId") || (table == "person" && c == "faceAssetId")) continue;
    cols.push_back(c);
  }
  return cols;
}

std::string column_list(const std::vector<std::string>& cols) {
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ", ") + db::quote_ident(c);
  return out;
}

void copy_block(db::Connection& conn, std::ofstream& out, const std::string& target,
                const std::string& select) {
  out << "COPY " << target << " FROM stdin;\n";
  conn.copy_out("COPY (" + select + ") TO STDOUT", [&](std::string_view chunk) { out << chunk; },
                "dump " + target);
  out << "\\.\n";
}

class SeedBench : public Benchmark {
 public:
  std::string name() const override { return "seed"; }
  std::string title() const override { return "seed — `keepsake dev seed` vs a psql COPY of the same rows"; }
  std::string description() const override {
    return "Keepsake generates a realistic library (users, assets, EXIF, files, albums, tags, "
           "people, faces, stacks, memories, sessions, notifications, audit rows, 512-d "
           "embeddings) and streams it with COPY in one transaction. The anchor is psql loading "
           "exactly the rows Keepsake produced (dumped once beforehand, every column) from a "
           "COPY script in one transaction, with the same staging updates and — when Keepsake "
           "rebuilt the HNSW vector indexes after the load — the same index drop and rebuild. "
           "Each run loads into a fresh bootstrapped database; both sides end with ANALYZE. "
           "Keepsake's time is the whole `keepsake dev seed` process (boot check, generation, "
           "load, commit, ANALYZE); the anchor does not have to generate anything. Above " +
           std::to_string(kLargestIndexedSeed) + " assets both ways leave the two HNSW indexes out "
           "(`--no-vector-indexes`): their build is pgvector's, the same for both, and takes far longer than "
           "the load on 2 cores.";
  }
  int64_t default_size() const override { return 10000; }
  std::string size_unit() const override { return "assets"; }
  std::string units_name() const override { return "rows"; }
  std::string keepsake_label() const override { return "`keepsake dev seed`"; }
  std::string anchor_label() const override { return "`psql --single-transaction -f seed.sql`"; }

  void prepare(BenchEnv& env, int64_t size) override {
    std::string source = env.create_bootstrapped_database("seed_source");
    ProcessResult r = env.run(seed_argv(env, size), env.keepsake_env(source));
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("total: ([0-9]+) rows"))) {
      throw Error(ErrorKind::kInternal, "unexpected keepsake dev seed output: " + r.out);
    }
    rows_ = std::stod(m[1].str());
    rebuilt_indexes_ = r.out.find("vector indexes rebuilt") != std::string::npos;
    seed_report_ = r.out;
    write_script(env, source);
    env.drop_database(source);
  }

  Measurement run_keepsake(BenchEnv& env, int64_t size) override {
    std::string db = env.create_bootstrapped_database("seed_keepsake");
    auto start = Clock::now();
    env.run(seed_argv(env, size), env.keepsake_env(db));
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    env.drop_database(db);
    return {s, rows_};
  }

  Measurement run_anchor(BenchEnv& env, int64_t) override {
    std::string db = env.create_bootstrapped_database("seed_psql");
    std::string url = env.database_url(db);
    auto start = Clock::now();
    env.run({env.psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url,
             "-f", script_});
    env.run({env.psql(), "-X", "-q", "-d", url, "-c", "ANALYZE"});
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    env.drop_database(db);
    return {s, rows_};
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# Keepsake (fresh bootstrapped database DB):",
            "DB_URL=postgresql://postgres@localhost/DB?host=SOCKET&port=PORT "
            "IMMICH_MEDIA_LOCATION=WORK/media " + seed_command(seed_flags(size)),
            "# Anchor (another fresh bootstrapped database; seed.sql = COPY blocks of the rows "
            "above):",
            "psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d URL -f seed.sql",
            "psql -X -q -d URL -c ANALYZE"};
  }

  std::vector<std::string> findings() const override {
    return {"Library produced (output of the first `keepsake dev seed`):\n\n```\n" + seed_report_ +
            "```"};
  }

 private:
  static std::vector<std::string> seed_flags(int64_t size) {
    std::vector<std::string> flags = {"--assets", std::to_string(size), "--seed", "1", "--now", kNow};
    if (size > kLargestIndexedSeed) flags.push_back("--no-vector-indexes");
    flags.push_back("--no-progress");
    return flags;
  }
  std::vector<std::string> seed_argv(BenchEnv& env, int64_t size) const {
    std::vector<std::string> argv = {env.keepsake_binary(), "dev", "seed"};
    for (auto& f : seed_flags(size)) argv.push_back(f);
    return argv;
  }

  void write_script(BenchEnv& env, const std::string& source) {
    script_ = env.work_dir() + "/seed.sql";
    auto conn = db::Connection::open(env.database(source));
    std::ofstream out(script_, std::ios::trunc);
    std::vector<std::string> index_defs;
    if (!rebuilt_indexes_) {
      // Keepsake left the vector indexes out (--no-vector-indexes): so does the anchor, instead of
      // inserting every embedding into an empty HNSW index row by row.
      out << "DROP INDEX IF EXISTS public.clip_index;\nDROP INDEX IF EXISTS public.face_index;\n";
    } else {
      auto r = conn->exec(
          "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname "
          "IN ('clip_index', 'face_index') ORDER BY indexname");
      for (int i = 0; i < r.rows(); ++i) {
        out << "DROP INDEX public." << db::quote_ident(r.text(i, 0)) << ";\n";
        index_defs.push_back(r.text(i, 1));
      }
    }
    for (const char* table : kTables) {
      std::string cols = column_list(columns_of(*conn, table));
      copy_block(*conn, out, db::quote_ident(table) + " (" + cols + ")",
                 "SELECT " + cols + " FROM " + db::quote_ident(table));
    }
    out << "CREATE TEMP TABLE seed_stack_member (asset_id uuid, stack_id uuid) ON COMMIT DROP;\n";
    copy_block(*conn, out, "seed_stack_member",
               "SELECT id, \"stackId\" FROM asset WHERE \"stackId\" IS NOT NULL");
    out << "UPDATE asset SET \"stackId\" = s.stack_id FROM seed_stack_member s WHERE asset.id = "
           "s.asset_id;\n";
    out << "CREATE TEMP TABLE seed_person_cover (person_id uuid, face_id uuid) ON COMMIT DROP;\n";
    copy_block(*conn, out, "seed_person_cover",
               "SELECT id, \"faceAssetId\" FROM person WHERE \"faceAssetId\" IS NOT NULL");
    out << "UPDATE person SET \"faceAssetId\" = c.face_id FROM seed_person_cover c WHERE "
           "person.id = c.person_id;\n";
    if (!index_defs.empty()) {
      int64_t vectors = conn->exec("SELECT (SELECT count(*) FROM smart_search) + (SELECT count(*) "
                                   "FROM face_search)").int64(0, 0);
      int64_t mb = std::clamp<int64_t>(vectors * 3 / 1024 + 64, 64, 4096);  // as the seeder
      out << "SET LOCAL maintenance_work_mem = '" << mb << "MB';\n"
          << "SET LOCAL max_parallel_maintenance_workers = 1;\n";
      for (const auto& def : index_defs) out << def << ";\n";
    }
    if (!out) throw Error(ErrorKind::kIo, "cannot write " + script_);
  }

  double rows_ = 0;
  bool rebuilt_indexes_ = false;
  std::string script_, seed_report_;
};

KEEPSAKE_BENCHMARK(SeedBench);

}  // namespace
}  // namespace keepsake::bench
