#include "migrations/bootstrap.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "db/locks.h"
#include "migrations/immich_migrations.h"
#include "schema/ddl.h"
#include "schema/immich_schema.h"

namespace keepsake::migrations {
namespace {

std::string purpose_of(const std::string& statement) {
  std::string first = statement.substr(0, statement.find('\n'));
  if (first.size() > 100) first = first.substr(0, 100) + "...";
  return "bootstrap: " + first;
}

void insert_overrides(db::Connection& conn, const schema::Schema& schema) {
  for (const auto& row : schema.overrides) {
    nlohmann::json value = {{"type", row.type}, {"name", row.object_name}, {"sql", row.sql}};
    conn.exec("INSERT INTO public.migration_overrides (name, value) VALUES ($1, $2::jsonb)",
              {row.name, value.dump()}, "record migration_overrides row");
  }
}

}  // namespace

void record_immich_migrations(db::Connection& conn, const std::vector<std::string>& names) {
  auto now = conn.exec(
      "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
      {}, "read the clock");
  const std::string timestamp = now.text(0, 0);
  for (const auto& name : names) {
    conn.exec("INSERT INTO public.kysely_migrations (name, \"timestamp\") VALUES ($1, $2)",
              {name, timestamp}, "record Immich migration");
  }
}

void bootstrap_immich_schema(db::Connection& conn, const BootstrapOptions& options) {
  const schema::Schema schema = schema::immich_schema(options.schema);
  schema::DdlOptions ddl;
  if (options.kysely_tables_exist)
    ddl.skip_tables = {"kysely_migrations", "kysely_migrations_lock"};

  spdlog::info("Creating the Immich {} schema in an empty database", kImmichRelease);
  db::Transaction tx(conn);
  tx.exec("SELECT pg_advisory_xact_lock($1::bigint)", {std::to_string(db::kKyselyMigrationLockId)},
          "take kysely's migration lock");
  tx.exec("SET LOCAL search_path TO public", {}, "pin search_path");
  for (const auto& statement : schema::create_statements(schema, ddl)) {
    tx.exec(statement, {}, purpose_of(statement));
  }
  auto db_name = tx.exec("SELECT current_database()", {}, "read database name").text(0, 0);
  for (const auto& statement : schema::database_setting_statements(schema, db_name)) {
    tx.exec(statement, {}, purpose_of(statement));
  }
  record_immich_migrations(conn, immich_migration_names());
  tx.exec(
      "INSERT INTO public.kysely_migrations_lock (id, is_locked) VALUES ('migration_lock', 0) "
      "ON CONFLICT (id) DO NOTHING",
      {}, "create kysely's lock row");
  insert_overrides(conn, schema);
  tx.commit();
  spdlog::info("Created the Immich {} schema ({} tables, {} migrations recorded)", kImmichRelease,
               schema.tables.size(), immich_migration_names().size());
}

}  // namespace keepsake::migrations
