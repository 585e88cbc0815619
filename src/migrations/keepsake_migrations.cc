#include "migrations/keepsake_migrations.h"
#include "common/fault_point.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "db/locks.h"

namespace keepsake::migrations {
namespace {

std::vector<KeepsakeMigration>& registry() {
  static std::vector<KeepsakeMigration> all;
  return all;
}

}  // namespace

KeepsakeMigrationRegistrar::KeepsakeMigrationRegistrar(const char* name, const char* sql) {
  registry().push_back({name, sql});
}

std::vector<KeepsakeMigration> keepsake_migrations() {
  auto all = registry();
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return all;
}

std::vector<std::string> apply_keepsake_migrations(db::Connection& conn) {
  db::Transaction tx(conn);
  tx.exec("SELECT pg_advisory_xact_lock($1::bigint)",
          {std::to_string(db::kKyselyMigrationLockId + 1)}, "lock Keepsake migrations");
  tx.exec("CREATE SCHEMA IF NOT EXISTS keepsake", {}, "create schema keepsake");
  tx.exec(R"(CREATE TABLE IF NOT EXISTS keepsake.migrations (
               name text PRIMARY KEY,
               applied_at timestamptz NOT NULL DEFAULT clock_timestamp()))",
          {}, "create keepsake.migrations");
  std::set<std::string> applied;
  auto rows = tx.exec("SELECT name FROM keepsake.migrations", {}, "read keepsake.migrations");
  for (int i = 0; i < rows.rows(); ++i) applied.insert(rows.text(i, 0));
  std::vector<std::string> done;
  for (const auto& m : keepsake_migrations()) {
    if (applied.count(m.name)) continue;
    fault::point("migrations.keepsake.apply");
    tx.connection().exec_script(m.sql, "apply Keepsake migration " + m.name);
    tx.exec("INSERT INTO keepsake.migrations (name) VALUES ($1)", {m.name},
            "record Keepsake migration");
    spdlog::info("Keepsake migration \"{}\" succeeded", m.name);
    done.push_back(m.name);
  }
  fault::point("migrations.keepsake.commit");
  tx.commit();
  return done;
}

}  // namespace keepsake::migrations
