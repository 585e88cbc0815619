// Benchmark "boot": the database boot of an up-to-date, seeded v2.7.5 database (PostgreSQL
// version, lock 200, vector extension, migration state, drift check, Keepsake's migrations;
// nothing to change) against the documented manual check: psql running the spec's catalog
// query and comparing its JSON with the spec's.
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>

#include "common/error.h"
#include "config/config.h"
#include "harness.h"
#include "migrations/boot.h"

namespace keepsake::bench {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kSpecDir = KEEPSAKE_SPEC_DIR;

class BootBench : public Benchmark {
 public:
  std::string name() const override { return "boot"; }
  std::string title() const override { return "boot — database boot of an up-to-date database"; }
  std::string description() const override {
    return "Keepsake: one in-process call of `migrations::run_database_boot` (what `keepsake "
           "serve` and the CLI run first: PostgreSQL version check, advisory lock 200, vector "
           "extension check, migration state of the 68 Immich migrations, the drift check when "
           "configured, Keepsake's own migrations) on a seeded database that is already up to "
           "date, so it must change nothing. PostgreSQL is already running (its start is not "
           "counted). Anchor: the check a user would otherwise run by hand (spec README): psql "
           "executes `immich-2.7.5-catalog.sql` and the JSON is compared with "
           "`immich-2.7.5-catalog.json`.";
  }
  int64_t default_size() const override { return 2000; }
  std::string size_unit() const override { return "assets seeded before booting"; }
  int default_runs() const override { return 15; }
  std::string keepsake_label() const override { return "`run_database_boot` (in process)"; }
  std::string anchor_label() const override { return "psql catalog query + JSON compare"; }
  std::optional<double> target_seconds() const override { return 0.150; }

  void prepare(BenchEnv& env, int64_t size) override {
    db_ = env.create_bootstrapped_database("boot");
    env.run({env.keepsake_binary(), "dev", "seed", "--assets", std::to_string(size),
             "--no-progress"},
            env.keepsake_env(db_));
    config_ = load_config({{"DB_HOSTNAME", "localhost"}});
    config_.db = env.database(db_);
    std::ifstream in(kSpecDir + "/immich-2.7.5-catalog.json");
    if (!in) throw Error(ErrorKind::kNotFound, "spec catalog not found under " + kSpecDir);
    spec_ = nlohmann::json::parse(in);
    catalog_before_ = catalog(env);
  }

  Measurement run_keepsake(BenchEnv&, int64_t) override {
    auto start = Clock::now();
    migrations::BootReport r =
        migrations::run_database_boot(config_.db, migrations::boot_options_from_config(config_));
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (r.bootstrapped || !r.keepsake_migrations_applied.empty()) changed_ = true;
    return {s, 0};
  }

  Measurement run_anchor(BenchEnv& env, int64_t) override {
    auto start = Clock::now();
    nlohmann::json candidate = catalog(env);
    anchor_matches_ = candidate == spec_;
    differing_.clear();
    for (auto it = spec_.begin(); it != spec_.end(); ++it) {
      if (!candidate.contains(it.key()) || candidate[it.key()] != it.value()) {
        differing_ += (differing_.empty() ? "" : ", ") + it.key();
      }
    }
    for (auto it = candidate.begin(); it != candidate.end(); ++it) {
      if (!spec_.contains(it.key())) differing_ += (differing_.empty() ? "" : ", ") + it.key();
    }
    return {std::chrono::duration<double>(Clock::now() - start).count(), 0};
  }

  std::vector<std::string> commands(int64_t) const override {
    return {"# Keepsake (in process, see bench/boot_bench.cc):",
            "migrations::run_database_boot(db, migrations::boot_options_from_config(config))",
            "# Anchor:",
            "psql -X -q -At -v ON_ERROR_STOP=1 -d URL -f immich-2.7.5-catalog.sql  # then JSON "
            "compare with immich-2.7.5-catalog.json"};
  }

  std::vector<std::string> findings() const override {
    return {std::string("Boots changed nothing: ") +
                (changed_ ? "**no** (a boot reported work)" : "yes") +
                " (no bootstrap, no Keepsake migration applied by any timed boot).",
            std::string("Catalog identical before and after all boots (spec catalog query): ") +
                (catalog_after_ == catalog_before_ ? "yes" : "**no**") + ".",
            std::string("The seeded database's catalog equals the spec JSON: ") +
                (anchor_matches_ ? "yes"
                                 : "no; differing top-level keys: " + differing_ +
                                       " (Keepsake's own schema `keepsake` is expected there)") +
                "."};
  }

 private:
  nlohmann::json catalog(BenchEnv& env) {
    ProcessResult r = env.run({env.psql(), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                               env.database_url(db_), "-f",
                               kSpecDir + "/immich-2.7.5-catalog.sql"});
    catalog_after_ = nlohmann::json::parse(r.out);
    return catalog_after_;
  }

  std::string db_;
  Config config_;
  nlohmann::json spec_, catalog_before_, catalog_after_;
  bool changed_ = false, anchor_matches_ = false;
  std::string differing_;
};

KEEPSAKE_BENCHMARK(BootBench);

}  // namespace
}  // namespace keepsake::bench
