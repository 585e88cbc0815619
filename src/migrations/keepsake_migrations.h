// Keepsake's own tables (job queue, vector bookkeeping, restore journal, ...) live in the schema
// `keepsake`, with their own bookkeeping table `keepsake.migrations`. Immich's schema `public`
// and its kysely_migrations are never touched by these, so Immich can always take the database
// back over.
//
// A module declares a migration next to its code, at namespace scope in a .cc file:
//
//   KEEPSAKE_MIGRATION(m0001, "0001-job-queue", R"sql( CREATE TABLE keepsake.job (...); )sql");
//
// Names sort in application order (use a 4-digit sequence prefix). Applied migrations are never
// edited; add a new one instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"

namespace keepsake::migrations {

struct KeepsakeMigration {
  std::string name;
  std::string sql;
};

// Adds a migration to the process-wide registry (used by KEEPSAKE_MIGRATION).
struct KeepsakeMigrationRegistrar {
  KeepsakeMigrationRegistrar(const char* name, const char* sql);
};

// All registered migrations, sorted by name.
std::vector<KeepsakeMigration> keepsake_migrations();

// Applies the pending ones in one transaction (schema `keepsake` created if missing), under
// kysely's transaction lock id + 1 so concurrent boots serialise. Returns the names applied.
std::vector<std::string> apply_keepsake_migrations(db::Connection& conn);
// Its fault-injection phases (common/fault_point.h), in order.
inline constexpr std::string_view kKeepsakeMigrationPhases[] = {"migrations.keepsake.apply",
                                                                "migrations.keepsake.commit"};

}  // namespace keepsake::migrations

#define KEEPSAKE_MIGRATION(id, name, sql) \
  static const ::keepsake::migrations::KeepsakeMigrationRegistrar keepsake_migration_##id(name, sql)
