#include "schema/drift_migrations.h"

#include <algorithm>
#include <set>


namespace keepsake::schema {
namespace {

std::vector<std::string> recorded_names(db::Connection& conn, const char* table) {
  auto exists = conn.exec("SELECT to_regclass($1) IS NOT NULL", {std::string(table)},
                          "look for the migrations table");
  if (!exists.boolean(0, 0)) return {};
  std::string sql = std::string("SELECT name FROM ") + table;
  auto rows = conn.exec(sql, {}, std::string("read ") + table);
  std::vector<std::string> names;
  for (int i = 0; i < rows.rows(); ++i) names.push_back(rows.text(i, 0));
  return names;
}

}  // namespace

std::vector<MigrationState> compare_migrations(const std::vector<std::string>& known,
                                               const std::vector<std::string>& recorded) {
  std::set<std::string> k(known.begin(), known.end()), r(recorded.begin(), recorded.end());
  std::set<std::string> all = k;
  all.insert(r.begin(), r.end());
  std::vector<MigrationState> out;
  for (const auto& name : all) {
    bool in_known = k.count(name) > 0, in_recorded = r.count(name) > 0;
    out.push_back({name, in_known && in_recorded ? MigrationStatus::kApplied
                         : in_known              ? MigrationStatus::kMissing
                                                 : MigrationStatus::kDeleted});
  }
  return out;
}

std::vector<MigrationState> immich_migration_states(db::Connection& conn,
                                                    const std::vector<std::string>& known) {
  return compare_migrations(known, recorded_names(conn, "public.kysely_migrations"));
}

std::vector<MigrationState> keepsake_migration_states(db::Connection& conn,
                                                      const std::vector<std::string>& known) {
  return compare_migrations(known, recorded_names(conn, "keepsake.migrations"));
}

std::vector<std::string> migration_report_lines(const std::vector<MigrationState>& states) {
  std::vector<std::string> lines;
  for (const auto& s : states) {
    if (s.status == MigrationStatus::kMissing) {
      lines.push_back(s.name + " exists, but has not been applied to the database");
    } else if (s.status == MigrationStatus::kDeleted) {
      lines.push_back(s.name + " was applied, but the file no longer exists on disk");
    }
  }
  if (all_applied(states)) lines.push_back("Migrations are up to date");
  return lines;
}

bool all_applied(const std::vector<MigrationState>& states) {
  return std::all_of(states.begin(), states.end(), [](const MigrationState& s) {
    return s.status == MigrationStatus::kApplied;
  });
}

}  // namespace keepsake::schema
