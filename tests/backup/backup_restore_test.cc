// A Keepsake backup of an Immich v2.7.5 database restores with Immich's documented
// `gunzip < file | psql` into an empty database and yields the same catalog (the spec's catalog
// query) and the same row counts.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "backup/backup_service.h"
#include "common/process.h"
#include "db/connection.h"
#include "harness/bootstrapped_database.h"
#include "harness/paths.h"

namespace keepsake::backup {
namespace {

using keepsake::testing::TempDir;

class BackupRestoreTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  ProcessResult psql(const std::string& dbname, const std::string& shell_input) {
    ProcessOptions o;
    o.argv = {"/bin/sh", "-c", shell_input + " | psql -X -q -At -v ON_ERROR_STOP=1", "sh"};
    o.env = minimal_environment(keepsake::testing::superuser_config(dbname).libpq_env());
    return run_process(o);
  }
  std::string catalog(const std::string& dbname) {
    auto r = psql(dbname, "cat " + keepsake::testing::spec_dir() + "/immich-2.7.5-catalog.sql");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  std::string row_counts(db::Connection& c) {
    auto tables = c.exec("SELECT schemaname || '.' || tablename FROM pg_tables "
                         "WHERE schemaname IN ('public', 'keepsake') ORDER BY 1");
    std::string out;
    for (int i = 0; i < tables.rows(); ++i) {
      auto name = tables.text(i, 0);
      auto dot = name.find('.');
      out += name + "=" + c.exec("SELECT count(*) FROM " + db::quote_ident(name.substr(0, dot)) + "." +
                                 db::quote_ident(name.substr(dot + 1))).text(0, 0) + "\n";
    }
    return out;
  }
};

TEST_F(BackupRestoreTest, RestoresWithGunzipPsqlToTheSameCatalogAndRowCounts) {
  conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true),
                                                                    ('u@example.com', 'U', false))");
  conn_->exec(R"(INSERT INTO system_metadata VALUES ('system-config', '{"trash":{"days":3}}'))");
  TempDir media;
  BackupOptions o;
  o.db = db_config_;
  o.media_location = media.path();
  auto result = create_backup(o);

  std::string target = keepsake::testing::create_fresh_database("restored");
  auto restore = psql(target, "gunzip < '" + result.path + "'");
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  auto restored = db::Connection::open(keepsake::testing::superuser_config(target));

  // pg_dump never carries database-level settings (ALTER DATABASE ... SET search_path), with
  // Immich's pipeline as with ours; Immich restores into its existing database, which keeps them.
  auto original = nlohmann::json::parse(catalog(db_name_));
  auto copy = nlohmann::json::parse(catalog(target));
  EXPECT_GT(original["tables"].size(), 60u);
  original.erase("database_settings");
  copy.erase("database_settings");
  EXPECT_TRUE(original == copy) << nlohmann::json::diff(original, copy).dump().substr(0, 2000);
  std::string counts = row_counts(*conn_);
  EXPECT_NE(counts.find("public.user=2"), std::string::npos) << counts;
  EXPECT_EQ(counts, row_counts(*restored));
  restored.reset();
  keepsake::testing::drop_database(target);
}

}  // namespace
}  // namespace keepsake::backup
