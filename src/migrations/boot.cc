#include "migrations/boot.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "db/server_version.h"
#include "migrations/bootstrap.h"
#include "migrations/immich_migrations.h"
#include "migrations/keepsake_migrations.h"
#include "schema/drift_check.h"
#include "schema/immich_schema.h"

namespace keepsake::migrations {
namespace {

struct Executed {
  std::string name;
  double time_ms;  // NaN when the timestamp is not ISO-8601
};

// Milliseconds since the epoch of an ISO-8601 UTC timestamp like 2026-11-22T01:33:44.381Z.
double parse_iso_ms(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  char z = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z);
  if (n == 8 && z == 'Z') {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
                         &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) == 7 &&
             z == 'Z') {
    ms = 0;
  } else {
    return std::numeric_limits<double>::quiet_NaN();
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

// kysely's order of executed migrations: by timestamp as a date, ties by name.
std::vector<std::string> read_executed(db::Connection& conn) {
  auto rows = conn.exec("SELECT name, \"timestamp\" FROM public.kysely_migrations", {},
                        "read kysely_migrations");
  std::vector<Executed> executed;
  for (int i = 0; i < rows.rows(); ++i) {
    executed.push_back({rows.text(i, 0), parse_iso_ms(rows.text(i, 1))});
  }
  std::stable_sort(executed.begin(), executed.end(), [](const Executed& a, const Executed& b) {
    const bool a_nan = std::isnan(a.time_ms), b_nan = std::isnan(b.time_ms);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a.time_ms != b.time_ms) return a.time_ms < b.time_ms;
    return a.name < b.name;
  });
  std::vector<std::string> names;
  for (auto& e : executed) names.push_back(std::move(e.name));
  return names;
}

bool relation_exists(db::Connection& conn, const std::string& name) {
  return !conn.exec("SELECT to_regclass($1) IS NOT NULL", {"public." + name}, "look up " + name)
              .text(0, 0)
              .starts_with("f");
}

// A table of Immich's schema (other than kysely's) already in `public`, if any.
std::string first_immich_table(db::Connection& conn) {
  auto rows = conn.exec(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
      "('kysely_migrations', 'kysely_migrations_lock') ORDER BY tablename LIMIT 1",
      {}, "look for tables in public");
  return rows.empty() ? std::string() : rows.text(0, 0);
}

[[noreturn]] void refuse_non_empty(const std::string& table) {
  throw Error(ErrorKind::kConflict,
              "The database is not empty (table public." + table +
                  " exists) but holds no Immich migration history (public.kysely_migrations)",
              "Point Keepsake at an empty database or at a database of Immich " +
                  std::string(kImmichRelease));
}

void check_known_and_ordered(const std::vector<std::string>& executed, bool allow_unordered) {
  const auto& known = immich_migration_names();
  for (const auto& name : executed) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw Error(ErrorKind::kCorrupt,
                  "corrupted migrations: previously executed migration " + name + " is missing",
                  "Keepsake supports the schema of Immich " + std::string(kImmichRelease) +
                      "; a newer Immich release may have migrated this database");
    }
  }
  if (allow_unordered) return;
  for (size_t i = 0; i < executed.size(); ++i) {
    if (known[i] != executed[i]) {
      throw Error(ErrorKind::kCorrupt,
                  "corrupted migrations: expected previously executed migration " + executed[i] +
                      " to be at index " + std::to_string(i) + " but " + known[i] +
                      " was found in its place. New migrations must always have a name that "
                      "comes alphabetically after the last executed migration.");
    }
  }
}

}  // namespace

ImmichState inspect_immich_state(db::Connection& conn, bool allow_unordered) {
  if (!relation_exists(conn, "kysely_migrations")) {
    if (relation_exists(conn, "migrations")) {
      throw Error(
          ErrorKind::kConflict,
          "This database was created by an Immich release that still used TypeORM "
          "migrations (table public.migrations)",
          "Upgrade it with Immich " + std::string(kImmichRelease) + " first, then start Keepsake");
    }
    if (auto table = first_immich_table(conn); !table.empty()) refuse_non_empty(table);
    return ImmichState::kEmpty;
  }
  const auto executed = read_executed(conn);
  if (executed.empty()) {
    if (auto table = first_immich_table(conn); !table.empty()) refuse_non_empty(table);
    return ImmichState::kKyselyTablesOnly;
  }
  check_known_and_ordered(executed, allow_unordered);
  const auto& known = immich_migration_names();
  if (std::set<std::string>(executed.begin(), executed.end()).size() == known.size()) {
    return ImmichState::kUpToDate;
  }
  throw Error(
      ErrorKind::kConflict,
      "This database was migrated by an older Immich release: " + std::to_string(executed.size()) +
          " of the " + std::to_string(known.size()) + " migrations of Immich " + kImmichRelease +
          " are applied (last: " + executed.back() + ")",
      "Keepsake does not run Immich's migrations on an existing database: start Immich " +
          std::string(kImmichRelease) +
          " once against this database to upgrade it, then start Keepsake");
}

void prepare_vector_extension(db::Connection& conn, BootOptions& options) {
  const std::string extension = schema::vector_extension_name(options.schema.vector);
  if (extension.empty()) return;
  auto installed = conn.exec("SELECT 1 FROM pg_extension WHERE extname = $1", {extension},
                             "look up the vector extension");
  if (!installed.empty()) return;
  spdlog::info("Creating {} extension", extension);
  conn.exec("CREATE EXTENSION IF NOT EXISTS " + db::quote_ident(extension) + " CASCADE", {},
            "create the vector extension " + extension);
}

BootOptions boot_options_from_config(const Config& config) {
  BootOptions options;
  options.skip_migrations = config.skip_migrations;
  options.allow_unordered = config.env == "development";
  if (!config.vector_extension.empty()) {
    auto flavour = schema::parse_vector_flavour(config.vector_extension);
    if (!flavour) {
      throw Error(ErrorKind::kInvalidArgument,
                  "Unknown vector extension '" + config.vector_extension + "'",
                  "Use pgvector, vectorchord, pgvecto.rs or builtin");
    }
    options.schema.vector = *flavour;
  }
  return options;
}

BootReport run_database_boot(const DatabaseConfig& database, BootOptions options) {
  {
    auto conn = db::Connection::open(database);
    db::check_server_version(*conn);
  }
  BootReport report;
  db::with_lock(
      database, db::DatabaseLock::Migrations,
      [&](db::Connection& conn) {
        if (options.prepare_vector) {
          options.prepare_vector(conn, options);
        } else {
          prepare_vector_extension(conn, options);
        }
        if (options.skip_migrations) {
          spdlog::info("Skipping migrations and the schema drift check (DB_SKIP_MIGRATIONS=true)");
          report.migrations_skipped = true;
        } else {
          spdlog::info("Running migrations");
          ImmichState state = inspect_immich_state(conn, options.allow_unordered);
          if (state != ImmichState::kUpToDate) {
            BootstrapOptions bootstrap;
            bootstrap.schema = options.schema;
            bootstrap.kysely_tables_exist = state == ImmichState::kKyselyTablesOnly;
            bootstrap_immich_schema(conn, bootstrap);
            report.bootstrapped = true;
          }
          spdlog::info("Finished running migrations");
          if (options.check_schema_drift) {
            options.check_schema_drift(conn);
          } else {
            schema::check_drift_at_boot(conn, schema::immich_schema(options.schema));
          }
        }
        report.keepsake_migrations_applied = apply_keepsake_migrations(conn);
      },
      options.lock_wait);
  return report;
}

}  // namespace keepsake::migrations
