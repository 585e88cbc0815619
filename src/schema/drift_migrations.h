// The migration half of `keepsake schema check` / `keepsake migrations status`: which of Immich's
// 68 migration names (the "files" Keepsake ships) are recorded in public.kysely_migrations, and
// which of Keepsake's own migrations are recorded in keepsake.migrations, in the words of
// immich-admin schema-check. Must never write anything.
#pragma once

#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::schema {

enum class MigrationStatus { kApplied, kMissing, kDeleted };

struct MigrationState {
  std::string name;
  MigrationStatus status;
};

// Known names vs recorded names, ordered by name (byte order). Pure.
std::vector<MigrationState> compare_migrations(const std::vector<std::string>& known,
                                               const std::vector<std::string>& recorded);

// `known` vs the names recorded in public.kysely_migrations (Immich's) or keepsake.migrations
// (Keepsake's own); all missing when the table does not exist.
std::vector<MigrationState> immich_migration_states(db::Connection& conn,
                                                    const std::vector<std::string>& known);
std::vector<MigrationState> keepsake_migration_states(db::Connection& conn,
                                                      const std::vector<std::string>& known);

// One line per migration that is not applied ("<name> exists, but has not been applied to the
// database", "<name> was applied, but the file no longer exists on disk"), then "Migrations are
// up to date" when everything is applied.
std::vector<std::string> migration_report_lines(const std::vector<MigrationState>& states);

bool all_applied(const std::vector<MigrationState>& states);

}  // namespace keepsake::schema
