// The database boot that `keepsake serve` and the CLI run before anything else (Immich's
// DatabaseService.onBootstrap): PostgreSQL version check, then under DatabaseLock::Migrations
// (200): the vector extension, Immich's migration state (bootstrap an empty database; accept an
// up-to-date v2.7.5 database as it is; refuse anything else with Immich's messages), the drift
// check, then Keepsake's own migrations (schema `keepsake`).
// Must never write Immich's bookkeeping (kysely_migrations, kysely_migrations_lock,
// migration_overrides) of an existing database.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "db/locks.h"
#include "schema/options.h"

namespace keepsake::migrations {

struct BootOptions {
  bool skip_migrations = false;  // DB_SKIP_MIGRATIONS=true: no migrations, no drift check
  bool allow_unordered = false;  // kysely's allowUnorderedMigrations (IMMICH_ENV=development)
  schema::SchemaOptions schema;  // the vector flavour a new database is created with
  db::LockWaitOptions lock_wait;

  // Seam (owner: "vector"): chooses and prepares the vector extension, on the locked connection,
  // before migrations. May change options.schema.vector. Default: prepare_vector_extension().
  std::function<void(db::Connection&, BootOptions&)> prepare_vector;
  // Seam (owner: "drift"): the schema drift check after migrations; unset = the default,
  // schema::check_drift_at_boot against immich_schema(options.schema) (logs, never throws).
  std::function<void(db::Connection&)> check_schema_drift;
};

struct BootReport {
  bool bootstrapped = false;  // this boot created Immich's schema
  bool migrations_skipped = false;
  std::vector<std::string> keepsake_migrations_applied;
};

// Boot options from the configuration (DB_SKIP_MIGRATIONS, DB_VECTOR_EXTENSION, IMMICH_ENV).
BootOptions boot_options_from_config(const Config& config);

BootReport run_database_boot(const DatabaseConfig& database, BootOptions options);

// Default vector seam: CREATE EXTENSION IF NOT EXISTS <extension> CASCADE unless installed
// (nothing for builtin).
void prepare_vector_extension(db::Connection& conn, BootOptions& options);

enum class ImmichState {
  kEmpty,             // no Immich objects: bootstrap
  kKyselyTablesOnly,  // kysely's tables exist without rows or other tables: bootstrap the rest
  kUpToDate,          // all 68 migrations recorded: nothing to run
};

// Applies Immich's rules to the recorded migrations (read-only). Throws Error with Immich's
// texts: "corrupted migrations: previously executed migration <name> is missing",
// "corrupted migrations: expected previously executed migration <x> to be at index <i> but <y>
// was found in its place. ..."; and refuses a database of an older Immich release (first N only).
ImmichState inspect_immich_state(db::Connection& conn, bool allow_unordered = false);

}  // namespace keepsake::migrations
