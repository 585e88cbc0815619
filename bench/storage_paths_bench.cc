// Benchmarks "storage-paths-change" and "storage-paths-noop": Keepsake's batched, prefix-filtered,
// resumable path migration (`keepsake storage migrate-paths`) against Immich's migrateFilePaths
// (spec §3.6: REGEXP_REPLACE on the four path columns with no WHERE clause, one transaction), on
// copies of one seeded library. "change" moves the media location the rows use; "noop" migrates
// from a folder no row uses (the case of the 1.29 M rows that did not need to change).
// Targets (issue 9): >= 10x faster than Immich's statement on the no-op, faster on the change.
// The library is seeded without embeddings (`dev seed --no-embeddings`): no path lives in
// smart_search / face_search, and 1M embeddings plus their HNSW build would take hours.
#include <chrono>
#include <fstream>

#include "db/connection.h"
#include "harness.h"

namespace keepsake::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kTarget = "/srv/moved-media";
constexpr const char* kUnusedSource = "/usr/src/app/upload";

// Immich's escaping of the source for the regex: - [ ] { } ( ) * + ? . , \ ^ $ | # and spaces.
std::string immich_regex(const std::string& source) {
  std::string out = "^";
  for (char c : source) {
    if (std::string("-[]{}()*+?.,\\^$|# \t\n").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string sql_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

class StoragePathsBench : public Benchmark {
 public:
  explicit StoragePathsBench(bool noop) : noop_(noop) {}
  std::string name() const override {
    return noop_ ? "storage-paths-noop" : "storage-paths-change";
  }
  std::string title() const override {
    return std::string("storage paths, ") + (noop_ ? "no-op change" : "real change") +
           " — `keepsake storage migrate-paths` vs Immich's UPDATE without WHERE";
  }
  std::string description() const override {
    return std::string("One library is seeded once (`keepsake dev seed --no-embeddings`: every "
                       "table but smart_search / face_search, which hold no path; the seeded "
                       "database is shared by both storage benchmarks); every run gets a fresh "
                       "copy of it (CREATE DATABASE ... TEMPLATE, untimed). Keepsake's time is the "
                       "whole `keepsake storage migrate-paths` process: per-column counts, then "
                       "batches of about 10 000 matching rows — in physical order (TID ranges, then one "
                       "sweep for rows added behind the walk) for large columns, a keyset on id "
                       "for small ones — each its own transaction with its "
                       "progress record. The anchor is Immich v2.7.5's statement set run by psql "
                       "in one transaction: `UPDATE <t> SET <col> = REGEXP_REPLACE(<col>, "
                       "'^<escaped source>', '<target>')` for asset.originalPath, asset_file.path, "
                       "person.thumbnailPath and user.profileImagePath, with no WHERE clause. ") +
           (noop_ ? "No-op: the source is /usr/src/app/upload, which no row uses, so no path "
                    "changes; Immich still rewrites every row."
                  : "Real change: the source is the media location the rows were seeded under.") +
           (noop_ ? " Target (issue 9): at least 10× faster than Immich's statement."
                  : " Target (issue 9): faster than Immich's statement.");
  }
  int64_t default_size() const override { return 1000000; }
  std::string size_unit() const override { return "assets"; }
  std::string units_name() const override { return "rows"; }
  std::string keepsake_label() const override { return "`keepsake storage migrate-paths`"; }
  std::string anchor_label() const override { return "Immich's UPDATE ... REGEXP_REPLACE (psql)"; }
  std::optional<double> target_ratio() const override { return noop_ ? 10.0 : 1.0; }
  std::string target_ratio_text() const override {
    return noop_ ? "≥ 10× faster than Immich's statement" : "faster than Immich's statement";
  }

  void prepare(BenchEnv& env, int64_t size) override {
    SeededLibrary lib = env.seeded_library(library_seed_args(size, "--no-embeddings"));
    source_db_ = lib.dbname;
    media_ = lib.media_location;
    from_ = noop_ ? kUnusedSource : media_;
    auto conn = db::Connection::open(env.database(source_db_));
    if (!lib.reused) conn->exec("VACUUM ANALYZE");
    rows_ = static_cast<double>(
        conn->exec("SELECT (SELECT count(*) FROM asset) + (SELECT count(*) FROM asset_file) + "
                   "(SELECT count(*) FROM person) + (SELECT count(*) FROM \"user\")")
            .int64(0, 0));
    script_ = env.work_dir() + "/" + name() + ".sql";
    std::ofstream out(script_, std::ios::trunc);
    const auto re = sql_literal(immich_regex(from_)), to = sql_literal(kTarget);
    for (auto [t, c] : {std::pair{"asset", "originalPath"}, {"asset_file", "path"},
                        {"person", "thumbnailPath"}, {"user", "profileImagePath"}}) {
      auto table = db::quote_ident(t), col = db::quote_ident(c);
      out << "UPDATE " << table << " SET " << col << " = REGEXP_REPLACE(" << col << ", " << re
          << ", " << to << ");\n";
    }
  }

  Measurement run_keepsake(BenchEnv& env, int64_t) override {
    auto db = copy(env);
    auto start = Clock::now();
    auto r = env.run({env.keepsake_binary(), "storage", "migrate-paths", "--from", from_, "--to",
                      kTarget},
                     keepsake_env(env, db));
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    last_output_ = r.out;
    env.drop_database(db);
    return {s, rows_};
  }

  Measurement run_anchor(BenchEnv& env, int64_t) override {
    auto db = copy(env);
    auto start = Clock::now();
    env.run({env.psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d",
             env.database_url(db), "-f", script_});
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    env.drop_database(db);
    return {s, rows_};
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# once: " + seed_command(library_seed_args(size, "--no-embeddings")) +
                "   (IMMICH_MEDIA_LOCATION=SHARED/seed-media)",
            "# each run on a fresh copy (CREATE DATABASE copy TEMPLATE source):",
            "keepsake storage migrate-paths --from " + (noop_ ? std::string(kUnusedSource)
                                                              : std::string("SHARED/seed-media")) +
                " --to " + kTarget,
            "psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d URL -f " + name() + ".sql",
            "# " + name() + ".sql: UPDATE <t> SET <col> = REGEXP_REPLACE(<col>, '^<escaped "
            "source>', '" + kTarget + "') for the four path columns"};
  }

  std::vector<std::string> findings() const override {
    return {"Rows holding a path column: " + std::to_string(static_cast<int64_t>(rows_)) +
            ". Output of Keepsake's last run:\n\n```\n" + last_output_ + "```"};
  }

 private:
  std::map<std::string, std::string> keepsake_env(BenchEnv& env, const std::string& db) const {
    auto e = env.keepsake_env(db);
    e["IMMICH_MEDIA_LOCATION"] = media_;  // the location the library uses now
    return e;
  }

  std::string copy(BenchEnv& env) {
    auto name = "paths_run_" + std::to_string(++runs_);
    auto admin = db::Connection::open(env.database("postgres"));
    admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)");
    admin->exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE " +
                db::quote_ident(source_db_));
    return name;
  }

  bool noop_;
  std::string source_db_, media_, from_, script_, last_output_;
  double rows_ = 0;
  int runs_ = 0;
};

class StoragePathsChangeBench : public StoragePathsBench {
 public:
  StoragePathsChangeBench() : StoragePathsBench(false) {}
};
class StoragePathsNoopBench : public StoragePathsBench {
 public:
  StoragePathsNoopBench() : StoragePathsBench(true) {}
};

KEEPSAKE_BENCHMARK(StoragePathsChangeBench);
KEEPSAKE_BENCHMARK(StoragePathsNoopBench);

}  // namespace
}  // namespace keepsake::bench
