// `keepsake backup ...` end to end: the real binary against the test cluster.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backup/backup_files.h"
#include "common/process.h"
#include "harness/bootstrapped_database.h"
#include "harness/paths.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;

class BackupCliTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  ProcessResult keepsake(std::vector<std::string> args) {
    ProcessOptions o;
    o.argv = {keepsake::testing::keepsake_binary()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    const auto& c = keepsake::testing::cluster();
    o.env = minimal_environment({{"DB_HOSTNAME", c.socket_dir},
                                 {"DB_PORT", std::to_string(c.port)},
                                 {"DB_USERNAME", c.superuser},
                                 {"DB_DATABASE_NAME", db_name_},
                                 {"IMMICH_MEDIA_LOCATION", media_.path()},
                                 {"KEEPSAKE_DATA_DIR", media_.path() + "/keepsake"}});
    return run_process(o);
  }
  keepsake::testing::TempDir media_;
};

TEST_F(BackupCliTest, CreateListVerifyPrune) {
  conn_->exec("CREATE TABLE t AS SELECT generate_series(1, 100) AS v");
  auto created = keepsake({"backup", "create"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("verified"), std::string::npos) << created.out;

  auto listed = keepsake({"backup", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto json = nlohmann::json::parse(listed.out)["backups"];
  ASSERT_EQ(json.size(), 1u);
  std::string name = json[0]["filename"];
  EXPECT_TRUE(nlohmann::json::parse(listed.out)["libraryPoints"].is_null()) << "no repository";
  EXPECT_TRUE(is_routine_backup_name(name));

  auto verified = keepsake({"backup", "verify", name});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("matches its .sha256"), std::string::npos) << verified.out;

  std::string folder = backups_folder(media_.path());
  std::ofstream(folder + "/broken.sql.gz") << "not gzip";
  auto bad = keepsake({"backup", "verify", "broken.sql.gz"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("not a valid gzip file"), std::string::npos) << bad.err;
  EXPECT_NE(keepsake({"backup", "verify", "../../etc/passwd.sql"}).exit_code, 0);

  std::ofstream(folder + "/immich-db-backup-20000101T000000-v2.7.5-pg15.20.sql.gz") << "old";
  auto pruned = keepsake({"backup", "prune", "--keep", "1"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("deleted immich-db-backup-20000101T000000"), std::string::npos) << pruned.out;
  EXPECT_TRUE(fs::exists(folder + "/" + name));
}

}  // namespace
}  // namespace keepsake::backup
