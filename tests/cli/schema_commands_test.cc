// `keepsake schema ...` and `keepsake migrations ...` run as the real binary against a
// bootstrapped test database.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/process.h"
#include "harness/bootstrapped_database.h"
#include "schema/drift_check.h"
#include "schema/immich_schema.h"
#include "harness/paths.h"

namespace keepsake {
namespace {

class SchemaCommandsTest : public testing::BootstrappedDatabaseTest {
 protected:
  ProcessResult keepsake(std::vector<std::string> args) {
    args.insert(args.begin(), keepsake::testing::keepsake_binary());
    std::string url = testing::database_url(db_name_);
    ProcessOptions options;
    options.argv = args;
    options.env = minimal_environment(
        {{"DB_URL", url}, {"KEEPSAKE_DATA_DIR", data_.path()}, {"IMMICH_LOG_LEVEL", "warn"}});
    return run_process(options);
  }
  bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
  testing::TempDir data_;
};

TEST_F(SchemaCommandsTest, CheckIsCleanOnABootstrappedDatabase) {
  auto r = keepsake({"schema", "check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "Migrations are up to date\nNo schema drift detected\n");
}

TEST_F(SchemaCommandsTest, CheckReportsDriftAndApplyRepairsIt) {
  conn_->exec("DROP INDEX asset_checksum_idx");
  conn_->exec("ALTER TABLE asset ADD CONSTRAINT asset_path_check CHECK (\"originalPath\" <> '')");
  auto r = keepsake({"schema", "check"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.out, "  - constraint \"asset_path_check\" on table \"asset\" is extra\n"));
  EXPECT_TRUE(contains(r.out, "  - index \"asset_checksum_idx\" is missing\n"));
  EXPECT_TRUE(contains(r.out, "-- index \"asset_checksum_idx\" is missing [SAFE]\nCREATE INDEX"));
  EXPECT_TRUE(contains(r.out, "is extra [DESTRUCTIVE]\nALTER TABLE \"asset\" DROP CONSTRAINT"));

  r = keepsake({"schema", "check", "--allow-destructive"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "--allow-destructive needs --apply"));

  r = keepsake({"schema", "check", "--apply"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the destructive item is left alone
  EXPECT_TRUE(contains(r.out, "Applied 1 item(s); left 1 DESTRUCTIVE item(s) alone"));
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_indexes WHERE indexname = 'asset_checksum_idx'")
                .int64(0, 0),
            1);

  r = keepsake({"schema", "check", "--apply", "--allow-destructive"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "After the repair: No schema drift detected\n"));
}

TEST_F(SchemaCommandsTest, MigrationsStatusRevertAndDebug) {
  // Test-only Keepsake migrations (registered in the test binary, unknown to `keepsake`).
  conn_->exec("DELETE FROM keepsake.migrations WHERE name LIKE '0000-test-%'");
  auto r = keepsake({"migrations", "status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "Immich (v2.7.5):\nMigrations are up to date\n"));

  conn_->exec("DELETE FROM kysely_migrations WHERE name = '1775165531374-AddPersonNameTrigramIndex'");
  conn_->exec("INSERT INTO kysely_migrations VALUES ('1800000000000-FromTheFuture', 'x')");
  r = keepsake({"migrations", "status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "1775165531374-AddPersonNameTrigramIndex exists, but has not been "
                              "applied to the database\n"));
  EXPECT_TRUE(contains(r.out, "1800000000000-FromTheFuture was applied, but the file no longer "
                              "exists on disk\n"));

  r = keepsake({"migrations", "revert"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "cannot be reverted"));

  r = keepsake({"migrations", "debug"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "No changes detected\n");
}

TEST_F(SchemaCommandsTest, GenerateAndCreateWriteMigrationFiles) {
  testing::TempDir dir;
  auto r = keepsake({"migrations", "generate", "Nothing", "--dir", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "No changes detected\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  conn_->exec("DROP INDEX asset_checksum_idx");
  r = keepsake({"migrations", "generate", "RestoreChecksumIndex", "--dir", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  auto file = std::filesystem::directory_iterator(dir.path())->path();
  EXPECT_EQ(file.filename().string().size(), 13 + 1 + std::string("RestoreChecksumIndex.sql").size());
  EXPECT_TRUE(file.filename().string().ends_with("-RestoreChecksumIndex.sql"));
  std::ifstream in(file);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(contains(content, "-- index \"asset_checksum_idx\" is missing\nCREATE INDEX "
                                "asset_checksum_idx ON public.asset"))
      << content;

  r = keepsake({"migrations", "create", "bad/name", "--dir", dir.path()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "invalid migration name"));
  r = keepsake({"migrations", "create", "AddThing", "--dir", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2);
}

TEST_F(SchemaCommandsTest, DumpPrintsARunnableScriptOfTheDeclaredSchema) {
  auto r = keepsake({"schema", "dump"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" SCHEMA public;\n"));
  EXPECT_TRUE(contains(r.out, "ALTER DATABASE " + db_name_ + " SET search_path TO \"$user\", public, vectors;\n"));
  // The script builds a database whose drift check is clean.
  std::string fresh = testing::create_fresh_database("dump");
  {
    auto conn = db::Connection::open(testing::superuser_config(fresh));
    std::string script = r.out;
    std::string alter = "ALTER DATABASE " + db_name_ + " ";
    script.replace(script.find(alter), alter.size(), "ALTER DATABASE " + fresh + " ");
    conn->exec_script(script);
    auto rest = schema::detect_drift(*conn, schema::immich_schema());
    std::vector<std::string> kinds;
    for (const auto& item : rest) kinds.push_back(item.description);
    // Bookkeeping rows are data, not schema: only the 81 override rows are left to insert.
    EXPECT_EQ(rest.size(), 81u);
    for (const auto& k : kinds) EXPECT_EQ(k.rfind("migration override ", 0), 0u) << k;
  }
  testing::drop_database(fresh);
}

}  // namespace
}  // namespace keepsake
