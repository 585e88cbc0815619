// Database settings are not schema drift, as in Immich's own check: a database without the
// per-database search_path (every database restored from Immich's `pg_dump` backups, every
// CREATE DATABASE ... TEMPLATE copy) passes `schema check` and `doctor` with a note, boots, and
// restores from Immich's own backup. `schema check` and `doctor` share one verdict, shown here on
// the same databases: clean, without search_path, with real drift, with a newer Immich's migration.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <sstream>

#include "backup/backup_files.h"
#include "common/process.h"
#include "harness/bootstrapped_database.h"
#include "harness/paths.h"
#include "migrations/boot.h"
#include "restore/database_swap.h"
#include "restore/restore_fixture.h"
#include "restore/restore_service.h"

namespace keepsake {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class DatabaseSettingsTest : public testing::BootstrappedDatabaseTest {
 protected:
  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  }
  void TearDown() override {
    conn_.reset();
    auto admin = db::Connection::open(testing::superuser_config());
    for (auto& d : restore::find_restore_databases(*admin, db_name_)) {
      restore::drop_restore_database(*admin, db_name_, d.name);
    }
    BootstrappedDatabaseTest::TearDown();
  }

  ProcessResult keepsake(std::vector<std::string> args) {
    args.insert(args.begin(), testing::keepsake_binary());
    ProcessOptions options;
    options.argv = args;
    options.env = minimal_environment({{"DB_URL", testing::database_url(db_name_)},
                                       {"KEEPSAKE_DATA_DIR", data_.path()},
                                       {"IMMICH_MEDIA_LOCATION", media_.path()},
                                       {"IMMICH_LOG_LEVEL", "warn"}});
    return run_process(options);
  }
  void drop_search_path() {
    conn_->exec("ALTER DATABASE " + db::quote_ident(db_name_) + " RESET search_path");
  }
  std::string search_path_sql() const {
    return "ALTER DATABASE " + db::quote_ident(db_name_) + " SET search_path TO \"$user\", public, vectors;";
  }
  struct Verdicts {
    ProcessResult check, doctor;
  };
  Verdicts verdicts() { return {keepsake({"schema", "check"}), keepsake({"doctor"})}; }

  testing::TempDir data_, media_;
};

TEST_F(DatabaseSettingsTest, CleanDatabaseIsOkForBoth) {
  auto v = verdicts();
  EXPECT_EQ(v.check.exit_code, 0) << v.check.out << v.check.err;
  EXPECT_EQ(v.check.out, "Migrations are up to date\nNo schema drift detected\n");
  EXPECT_EQ(v.doctor.exit_code, 0) << v.doctor.out << v.doctor.err;
  EXPECT_TRUE(contains(v.doctor.out, "ok    schema: Immich v2.7.5's 68 migrations, no schema drift\n")) << v.doctor.out;
  EXPECT_FALSE(contains(v.doctor.out, "note ")) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out, "doctor found no problems\n")) << v.doctor.out;
}

TEST_F(DatabaseSettingsTest, MissingSearchPathIsANoteForBoth) {
  drop_search_path();
  std::string note = "database setting \"search_path\" is missing (not schema drift: Immich ignores "
                     "database settings); to set it: " + search_path_sql();
  auto v = verdicts();
  EXPECT_EQ(v.check.exit_code, 0) << v.check.out << v.check.err;
  EXPECT_EQ(v.check.out, "Migrations are up to date\nNo schema drift detected\nNote: " + note + "\n");
  EXPECT_EQ(v.doctor.exit_code, 0) << v.doctor.out << v.doctor.err;
  EXPECT_TRUE(contains(v.doctor.out, "ok    schema: Immich v2.7.5's 68 migrations, no schema drift\n")) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out, "note  " + note + "\n")) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out, "doctor found no problems\n")) << v.doctor.out;

  // A different value is a note too; --apply leaves it to the user (it needs the owner).
  conn_->exec("ALTER DATABASE " + db::quote_ident(db_name_) + " SET search_path TO public");
  auto applied = keepsake({"schema", "check", "--apply"});
  EXPECT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(contains(applied.out, "Note: database setting \"search_path\" differs: expected \"$user\", "
                                    "public, vectors, found public")) << applied.out;
  EXPECT_EQ(keepsake({"doctor"}).exit_code, 0);
}

// The note's SQL quotes the database name: it works on a name that needs quoting.
TEST_F(DatabaseSettingsTest, NotesSqlSetsTheSettingOnAnyDatabaseName) {
  std::string odd = testing::create_bootstrapped_database("Odd-Name");
  auto conn = db::Connection::open(testing::superuser_config(odd));
  conn->exec("ALTER DATABASE " + db::quote_ident(odd) + " RESET search_path");
  ProcessOptions options;
  options.argv = {testing::keepsake_binary(), "schema", "check"};
  options.env = minimal_environment({{"DB_URL", testing::database_url(odd)},
                                     {"KEEPSAKE_DATA_DIR", data_.path()}, {"IMMICH_LOG_LEVEL", "warn"}});
  auto r = run_process(options);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto at = r.out.find("to set it: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string sql = r.out.substr(at + 11, r.out.find('\n', at) - at - 11);
  EXPECT_TRUE(contains(sql, db::quote_ident(odd))) << sql;
  conn->exec(sql);
  r = run_process(options);
  EXPECT_EQ(r.out, "Migrations are up to date\nNo schema drift detected\n");
  conn.reset();
  testing::drop_database(odd);
}

TEST_F(DatabaseSettingsTest, RealDriftIsAProblemForBoth) {
  drop_search_path();
  conn_->exec("DROP INDEX asset_checksum_idx");
  auto v = verdicts();
  EXPECT_EQ(v.check.exit_code, 1) << v.check.out << v.check.err;
  EXPECT_TRUE(contains(v.check.out, "  - index \"asset_checksum_idx\" is missing\n")) << v.check.out;
  EXPECT_NE(v.doctor.exit_code, 0) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out, "ERROR schema drift: index \"asset_checksum_idx\" is missing")) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out, "note  database setting \"search_path\" is missing")) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out, "doctor found problems\n")) << v.doctor.out;
}

// A migration v2.7.5 does not know: both fail, and doctor says which release probably wrote it
// from the timestamp its name starts with (1776848612954 ms = 2026-04-22 UTC, after v2.7.5's last
// migration 1775165531374 = 2026-04-02; the name is one spec §2.1 lists as later than v2.7.5).
TEST_F(DatabaseSettingsTest, UnknownMigrationIsAProblemForBothAndDoctorNamesItsRelease) {
  conn_->exec("INSERT INTO kysely_migrations VALUES ('1776848612954-MigrateAlbumOwnerIdToAlbumUser', 'x')");
  conn_->exec("INSERT INTO kysely_migrations VALUES ('1760000000000-SomethingElse', 'x')");
  auto v = verdicts();
  EXPECT_EQ(v.check.exit_code, 1) << v.check.out << v.check.err;
  EXPECT_NE(v.doctor.exit_code, 0) << v.doctor.out;
  EXPECT_TRUE(contains(v.doctor.out,
                       "ERROR migration 1776848612954-MigrateAlbumOwnerIdToAlbumUser in kysely_migrations is "
                       "not one of Immich v2.7.5's; probably written by a release newer than v2.7.5 "
                       "(migration dated 2026-04-22, on Immich's main branch after v2.7.5)\n"))
      << v.doctor.out;
  // 1760000000000 ms = 2025-10-09 UTC: before v2.7.5's last migration, yet not one of its own.
  EXPECT_TRUE(contains(v.doctor.out,
                       "ERROR migration 1760000000000-SomethingElse in kysely_migrations is not one of "
                       "Immich v2.7.5's; probably written by no release up to v2.7.5: a newer release or a "
                       "development build (migration dated 2025-10-09, before v2.7.5's last migration)\n"))
      << v.doctor.out;
  EXPECT_FALSE(contains(v.doctor.out, "ok    schema:")) << v.doctor.out;
}

TEST_F(DatabaseSettingsTest, DatabaseWithoutSearchPathBoots) {
  drop_search_path();
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("settings_test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%l|%v");
  spdlog::set_default_logger(logger);
  migrations::BootReport report;
  EXPECT_NO_THROW(report = migrations::run_database_boot(db_config_, {}));
  spdlog::set_default_logger(previous);
  EXPECT_FALSE(report.bootstrapped);
  EXPECT_TRUE(contains(out.str(), "info|No schema drift detected\n")) << out.str();
  EXPECT_TRUE(contains(out.str(), "info|Note: database setting \"search_path\" is missing")) << out.str();
  EXPECT_FALSE(contains(out.str(), "warning|")) << out.str();
}

// Immich's own backup (pg_dump without --create, gzip) of a database that lacks the setting, as
// every database restored the documented way does: both strategies restore it.
TEST_F(DatabaseSettingsTest, ImmichBackupOfADatabaseWithoutSearchPathRestores) {
  drop_search_path();
  std::string folder = backup::backups_folder(media_.path());
  fs::create_directories(folder);
  std::string file = "immich-db-backup-20260101T020000-v2.7.5-pg15.20.sql.gz";
  testing::immich_style_backup(db_name_, folder + "/" + file);
  conn_.reset();
  std::string backed_up = testing::row_counts(db_name_);
  for (auto strategy : {restore::RestoreStrategy::kBeside, restore::RestoreStrategy::kInPlace}) {
    {
      auto conn = db::Connection::open(db_config_);
      conn->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
    }
    ASSERT_NE(testing::row_counts(db_name_), backed_up);
    restore::RestoreOptions o;
    o.config = testing::config_for(db_name_);
    o.config.media_location = media_.path();
    o.filename = file;
    o.strategy = strategy;
    EXPECT_NO_THROW(restore::restore_database(o)) << static_cast<int>(strategy);
    EXPECT_EQ(testing::row_counts(db_name_), backed_up) << static_cast<int>(strategy);
  }
}

}  // namespace
}  // namespace keepsake
