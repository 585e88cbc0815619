// Bootstrap of an empty database: creates Immich v2.7.5's end state (the declared schema, the
// database-level settings, the 68 kysely_migrations rows, the kysely_migrations_lock row and the
// 81 migration_overrides rows) in ONE transaction, so it is all there or nothing is.
// Must never run on a database that holds Immich data: callers decide that (see boot.h).
#pragma once

#include <string>
#include <vector>

#include "db/connection.h"
#include "schema/options.h"

namespace keepsake::migrations {

struct BootstrapOptions {
  schema::SchemaOptions schema;
  // kysely's own tables left by an Immich start that failed before its first migration.
  bool kysely_tables_exist = false;
};

// Runs on `conn`, which the caller holds DatabaseLock::Migrations (200) on; takes kysely's
// transaction lock inside. Throws keepsake::Error and leaves the database unchanged on failure.
void bootstrap_immich_schema(db::Connection& conn, const BootstrapOptions& options = {});

// The rows the bootstrap writes into kysely_migrations, with one ISO-8601 UTC timestamp
// (e.g. 2026-11-22T01:33:44.381Z) as Immich's migrator records them.
void record_immich_migrations(db::Connection& conn, const std::vector<std::string>& names);

}  // namespace keepsake::migrations
