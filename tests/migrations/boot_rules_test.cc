// The existing-database rules of the boot (all 68 present; first N; unknown name; out of order;
// DB_SKIP_MIGRATIONS), bootstrap atomicity, the vector flavours on a live database, and three
// processes booting one empty database at once.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>

#include "common/error.h"
#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "harness/spec_catalog.h"
#include "harness/test_cluster.h"
#include "migrations/boot.h"
#include "migrations/bootstrap.h"
#include "migrations/immich_migrations.h"
#include "schema/immich_schema.h"

namespace keepsake {
namespace {

using migrations::BootOptions;
using migrations::run_database_boot;

// Everything Immich's bookkeeping holds, with each row's xmin (a rewrite changes it).
std::string bookkeeping_snapshot(db::Connection& conn) {
  std::string out;
  for (const char* sql :
       {"SELECT name, \"timestamp\", xmin::text FROM kysely_migrations ORDER BY name",
        "SELECT id, is_locked::text, xmin::text FROM kysely_migrations_lock ORDER BY id",
        "SELECT name, value::text, xmin::text FROM migration_overrides ORDER BY name"}) {
    auto rows = conn.exec(sql);
    for (int r = 0; r < rows.rows(); ++r) {
      for (int c = 0; c < rows.columns(); ++c) out += rows.text(r, c) + "|";
      out += "\n";
    }
  }
  return out;
}

bool table_exists(db::Connection& conn, const std::string& name) {
  return conn.exec("SELECT to_regclass($1) IS NOT NULL", {name}).boolean(0, 0);
}

std::string boot_error(const DatabaseConfig& config, BootOptions options = {}) {
  try {
    run_database_boot(config, std::move(options));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class BootRulesTest : public testing::BootstrappedDatabaseTest {};

TEST_F(BootRulesTest, FixtureGivesABootstrappedDatabaseWithItsSearchPath) {
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM kysely_migrations").int64(0, 0), 68);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM migration_overrides").int64(0, 0), 81);
  EXPECT_TRUE(table_exists(*conn_, "keepsake.migrations"));
  auto setting = conn_->exec(
      "SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting s JOIN pg_database d "
      "ON d.oid = s.setdatabase WHERE d.datname = current_database() AND s.setrole = 0");
  ASSERT_EQ(setting.rows(), 1);
  EXPECT_EQ(setting.text(0, 0), "search_path=\"$user\", public, vectors");
}

TEST_F(BootRulesTest, UpToDateDatabaseIsLeftUntouched) {
  const std::string before = bookkeeping_snapshot(*conn_);
  bool drift_checked = false;
  BootOptions options;
  options.check_schema_drift = [&](db::Connection&) { drift_checked = true; };
  auto report = run_database_boot(db_config_, options);
  EXPECT_FALSE(report.bootstrapped);
  EXPECT_TRUE(drift_checked);
  EXPECT_TRUE(report.keepsake_migrations_applied.empty());
  EXPECT_EQ(bookkeeping_snapshot(*conn_), before);
}

TEST_F(BootRulesTest, DatabaseOfAnOlderImmichIsRefusedAndKept) {
  conn_->exec("DELETE FROM kysely_migrations WHERE name > '1773242919341-EncodedVideoAssetFiles'");
  const std::string before = bookkeeping_snapshot(*conn_);
  const std::string error = boot_error(db_config_);
  EXPECT_NE(error.find("older Immich release: 64 of the 68 migrations of Immich v2.7.5"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("last: 1773242919341-EncodedVideoAssetFiles"), std::string::npos) << error;
  EXPECT_EQ(bookkeeping_snapshot(*conn_), before);
}

TEST_F(BootRulesTest, UnknownMigrationIsReportedWithImmichsText) {
  conn_->exec(
      "INSERT INTO kysely_migrations VALUES ('1776000000000-DropAuditTable', "
      "'2026-11-22T01:33:44.381Z')");
  EXPECT_EQ(boot_error(db_config_),
            "corrupted migrations: previously executed migration 1776000000000-DropAuditTable is "
            "missing");
}

TEST_F(BootRulesTest, OutOfOrderMigrationsAreReportedWithImmichsText) {
  conn_->exec(
      "UPDATE kysely_migrations SET \"timestamp\" = '2099-01-01T00:00:00.000Z' "
      "WHERE name = '1744910873969-InitialMigration'");
  EXPECT_EQ(boot_error(db_config_),
            "corrupted migrations: expected previously executed migration "
            "1744991379464-AddNotificationsTable to be at index 0 but "
            "1744910873969-InitialMigration was found in its place. New migrations must always "
            "have a name that comes alphabetically after the last executed migration.");
  BootOptions development;
  development.allow_unordered = true;
  EXPECT_FALSE(run_database_boot(db_config_, development).bootstrapped);
}

TEST_F(BootRulesTest, SkipMigrationsSkipsTheChecksAndTheDriftCheck) {
  conn_->exec("DELETE FROM kysely_migrations WHERE name > '1760000000000'");
  BootOptions options;
  options.skip_migrations = true;
  bool drift_checked = false;
  options.check_schema_drift = [&](db::Connection&) { drift_checked = true; };
  auto report = run_database_boot(db_config_, options);
  EXPECT_TRUE(report.migrations_skipped);
  EXPECT_FALSE(report.bootstrapped);
  EXPECT_FALSE(drift_checked);
}

class BootEmptyDatabaseTest : public testing::DatabaseTest {};

TEST_F(BootEmptyDatabaseTest, SkipMigrationsCreatesNoImmichSchema) {
  BootOptions options;
  options.skip_migrations = true;
  auto report = run_database_boot(db_config_, options);
  EXPECT_TRUE(report.migrations_skipped);
  EXPECT_FALSE(table_exists(*conn_, "public.kysely_migrations"));
  EXPECT_FALSE(table_exists(*conn_, "public.asset"));
}

TEST_F(BootEmptyDatabaseTest, TypeOrmDatabaseIsRefused) {
  conn_->exec("CREATE TABLE public.migrations (id serial, name varchar, \"timestamp\" bigint)");
  const std::string error = boot_error(db_config_);
  EXPECT_NE(error.find("TypeORM"), std::string::npos) << error;
  EXPECT_FALSE(table_exists(*conn_, "public.kysely_migrations"));
}

TEST_F(BootEmptyDatabaseTest, ForeignTablesWithoutHistoryAreRefusedAndKept) {
  conn_->exec("CREATE TABLE public.notes (body text)");
  conn_->exec("INSERT INTO public.notes VALUES ('keep me')");
  const std::string error = boot_error(db_config_);
  EXPECT_NE(error.find("public.notes exists"), std::string::npos) << error;
  EXPECT_EQ(conn_->exec("SELECT body FROM public.notes").text(0, 0), "keep me");
  EXPECT_FALSE(table_exists(*conn_, "public.kysely_migrations"));
}

TEST_F(BootEmptyDatabaseTest, FailedBootstrapLeavesNothingBehind) {
  conn_->exec("CREATE TABLE public.asset (id int)");
  conn_->exec("INSERT INTO public.asset VALUES (7)");
  EXPECT_THROW(migrations::bootstrap_immich_schema(*conn_), Error);
  EXPECT_FALSE(table_exists(*conn_, "public.kysely_migrations"));
  EXPECT_FALSE(table_exists(*conn_, "public.activity"));
  EXPECT_EQ(
      conn_->exec("SELECT count(*) FROM pg_extension WHERE extname = 'uuid-ossp'").int64(0, 0), 0);
  EXPECT_EQ(conn_->exec("SELECT id FROM public.asset").text(0, 0), "7");
}

TEST_F(BootEmptyDatabaseTest, KyselyTablesLeftByAFailedImmichStartAreCompleted) {
  // What kysely's Migrator creates before its first (rolled back) migration.
  conn_->exec(
      "CREATE TABLE kysely_migrations (name varchar(255) NOT NULL PRIMARY KEY, "
      "\"timestamp\" varchar(255) NOT NULL)");
  conn_->exec(
      "CREATE TABLE kysely_migrations_lock (id varchar(255) NOT NULL PRIMARY KEY, "
      "is_locked integer NOT NULL DEFAULT 0)");
  conn_->exec("INSERT INTO kysely_migrations_lock VALUES ('migration_lock', 0)");
  auto report = run_database_boot(db_config_, BootOptions{});
  EXPECT_TRUE(report.bootstrapped);
  const auto expected = testing::without_schema(testing::spec_catalog_json(), "keepsake");
  const auto actual = testing::without_schema(testing::run_spec_catalog_query(*conn_), "keepsake");
  EXPECT_EQ(testing::readable_diff(expected, actual), "");
}

TEST_F(BootEmptyDatabaseTest, BuiltinFlavourChecksTheDimension) {
  migrations::BootstrapOptions options;
  options.schema.vector = schema::VectorFlavour::kBuiltin;
  migrations::bootstrap_immich_schema(*conn_, options);
  const schema::Schema model = schema::immich_schema(options.schema);
  auto live = conn_->exec(
      "SELECT format_type(a.atttypid, a.atttypmod), pg_get_constraintdef(c.oid) "
      "FROM pg_attribute a JOIN pg_constraint c ON c.conrelid = a.attrelid "
      "WHERE a.attrelid = 'public.smart_search'::regclass AND a.attname = 'embedding' "
      "AND c.conname = 'dim_size_constraint'");
  ASSERT_EQ(live.rows(), 1);
  EXPECT_EQ(live.text(0, 0), "real[]");
  EXPECT_EQ(live.text(0, 1),
            model.find_table("smart_search")->find_constraint("dim_size_constraint")->definition);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").int64(0, 0),
            0);
  const std::string insert =
      "INSERT INTO smart_search VALUES ('00000000-0000-4000-8000-000000000001', "
      "array_fill(0.5::real, ARRAY[$1::int]))";
  try {
    conn_->exec(insert, {"3"});
    ADD_FAILURE() << "a 3-dimensional embedding was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "23514") << e.what();  // check_violation
  }
  try {
    conn_->exec(insert, {"512"});
    ADD_FAILURE() << "an embedding without its asset was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "23503") << e.what();  // foreign_key_violation: dimension was fine
  }
}

TEST_F(BootEmptyDatabaseTest, ThreeProcessesBootingAtOnceCreateTheSchemaOnce) {
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 1;
      try {
        code = run_database_boot(db_config_, BootOptions{}).bootstrapped ? 10 : 11;
      } catch (const std::exception& e) {
        std::cerr << "child boot failed: " << e.what() << "\n";
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  int created = 0, found_done = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    EXPECT_TRUE(code == 10 || code == 11) << "a boot failed (exit " << code << ")";
    created += code == 10;
    found_done += code == 11;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(found_done, 2);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM kysely_migrations").int64(0, 0), 68);
}

}  // namespace
}  // namespace keepsake

namespace keepsake {
namespace {

// The same with three real `keepsake migrations run` processes started together.
TEST_F(BootEmptyDatabaseTest, ThreeKeepsakeProcessesBootOneEmptyDatabase) {
  keepsake::testing::TempDir dir;
  std::map<std::string, std::string> env = {
      {"DB_URL", keepsake::testing::database_url(db_name_)},
      {"IMMICH_MEDIA_LOCATION", dir.path()}};
  std::vector<std::unique_ptr<keepsake::testing::KeepsakeProcess>> boots;
  for (int i = 0; i < 3; ++i) {
    boots.push_back(std::make_unique<keepsake::testing::KeepsakeProcess>(
        env, dir.path(), std::vector<std::string>{"migrations", "run"}));
  }
  int created = 0;
  for (auto& p : boots) {
    EXPECT_EQ(p->wait_exit(), 0) << p->stderr_text();
    std::string out = p->stdout_text();
    created += out.find("Created Immich v2.7.5's schema") != std::string::npos;
    EXPECT_NE(out.find("Migrations are up to date"), std::string::npos) << out;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM kysely_migrations").int64(0, 0), 68);
}

}  // namespace
}  // namespace keepsake
