// The one verdict on "is this Immich v2.7.5's database?", shared by `keepsake schema check` and
// `keepsake doctor` so that both always agree: v2.7.5's 68 migrations in kysely_migrations (no
// more, no fewer) and no schema drift. Database settings are notes (see schema/drift_check.h) and
// never change the verdict. Also names the Immich release a database's migrations correspond to
// (for backup names) and the release that probably wrote a migration v2.7.5 does not know.
// Must never change the database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "schema/drift_check.h"
#include "schema/drift_migrations.h"

namespace keepsake::migrations {

struct SchemaVerdict {
  std::vector<schema::MigrationState> migrations;  // v2.7.5's names vs kysely_migrations
  schema::DriftReport drift;

  bool ok() const;  // every migration applied, none unknown, no drift (notes never count)
  std::vector<std::string> unknown_migrations() const;  // recorded, unknown to v2.7.5
  std::vector<std::string> missing_migrations() const;  // v2.7.5's, not recorded
};

// The declared schema of the flavour DB_VECTOR_EXTENSION names, or else of the one installed.
schema::Schema declared_schema(const Config& config, db::Connection& conn);

// Reads kysely_migrations and the catalog of `public`.
SchemaVerdict check_immich_schema(db::Connection& conn, const schema::Schema& declared);

// kImmichRelease ("v2.7.5") when the states hold exactly v2.7.5's migrations, else nullopt.
std::optional<std::string> release_of(const std::vector<schema::MigrationState>& states);
// release_of the migrations recorded in the database's kysely_migrations.
std::optional<std::string> recorded_immich_release(db::Connection& conn);

// The Immich release that probably wrote a migration v2.7.5 does not know, from the 13-digit
// millisecond timestamp Immich's migration names start with (spec §2.1), e.g. "a release newer
// than v2.7.5 (migration dated 2026-04-22)". Pure.
std::string probable_release(const std::string& migration_name);

}  // namespace keepsake::migrations
