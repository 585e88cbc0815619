// Disk faults (issue 20): the backups folder on a disk that fills up, or that turns read-only.
// Each gives one clear error, nothing half-written is listed, and the space comes back (no leaked
// temporary file). The disks are real: small tmpfs mounts (the tests need root, as CI has; they
// skip where mounting is not allowed).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include "app/app_context.h"
#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "common/error.h"
#include "harness/test_cluster.h"
#include "http/routes.h"
#include "http/test_server.h"
#include "storage/fs_helpers.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;
using keepsake::storage::testing::ReadOnlyFolder;
using keepsake::storage::testing::SmallDisk;

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  return names;
}

class DiskFaultsTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // About 1.5 MB that gzip cannot shrink.
    conn_->exec(R"(CREATE TABLE noise AS
                   SELECT i, decode(string_agg(md5(random()::text), ''), 'hex') AS bytes
                     FROM generate_series(1, 3000) i, generate_series(1, 32) j GROUP BY i)");
  }
  std::string error_of_backup() {
    BackupOptions o;
    o.db = db_config_;
    o.media_location = media_.path();
    try {
      create_backup(o);
    } catch (const Error& e) {
      return std::string(e.what()) + " | " + e.hint();
    }
    return "";
  }
  std::string folder() const { return backups_folder(media_.path()); }
  keepsake::testing::TempDir media_;
};

TEST_F(DiskFaultsTest, BackupToAFullDiskFailsClearlyAndGivesTheSpaceBack) {
  SmallDisk disk(folder(), "512k");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  uint64_t free_before = disk.free_bytes();
  std::string error = error_of_backup();
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_NE(error.find("free space"), std::string::npos) << "the hint says what to do: " << error;
  EXPECT_TRUE(names_in(folder()).empty()) << names_in(folder()).front();
  EXPECT_EQ(disk.free_bytes(), free_before) << "the failed backup leaked space";
}

TEST_F(DiskFaultsTest, BackupToAReadOnlyFolderFailsClearly) {
  fs::create_directories(folder());
  ReadOnlyFolder read_only(folder());
  if (read_only.method().empty()) GTEST_SKIP() << "cannot make a folder read-only for root here";
  std::string error = error_of_backup();
  EXPECT_TRUE(error.find("Read-only file system") != std::string::npos ||
              error.find("Operation not permitted") != std::string::npos) << error;
  EXPECT_TRUE(names_in(folder()).empty());
}

TEST_F(DiskFaultsTest, UploadToAFullDiskIsRefusedAndLeavesNoPartFile) {
  SmallDisk disk(folder(), "256k");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  uint64_t free_before = disk.free_bytes();
  Config config = load_config({{"DB_HOSTNAME", "localhost"}});
  config.media_location = media_.path();
  app::AppContext app(config);
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = &app}, keepsake::testing::signed_in_as(true));
  std::string big(600 * 1024, 'x');
  httplib::MultipartFormDataItems items = {{"file", big, "big.sql.gz", "application/gzip"}};
  auto res = server.client().Post("/api/admin/database-backups/upload", {{"x-api-key", "k"}}, items);
  ASSERT_TRUE(res);
  EXPECT_GE(res->status, 500) << res->body;
  EXPECT_NE(res->body.find("No space left on device"), std::string::npos) << res->body;
  EXPECT_EQ(res->body.find(folder()), std::string::npos) << "the answer names a server path: " << res->body;
  EXPECT_TRUE(names_in(folder()).empty()) << names_in(folder()).front();
  EXPECT_EQ(disk.free_bytes(), free_before);
}

TEST(UploadPartsTest, RetentionRemovesPartFilesOfKilledUploadsOnly) {
  keepsake::testing::TempDir dir;
  auto part = [&](const std::string& name, std::chrono::hours age) {
    std::ofstream(dir.path() + "/" + name) << "partial";
    fs::last_write_time(dir.path() + "/" + name, fs::file_time_type::clock::now() - age);
  };
  part(".upload-123.part", std::chrono::hours(30));   // killed long ago
  part(".upload-456.part", std::chrono::hours(0));    // an upload running now
  part(".upload-evil.part", std::chrono::hours(30));  // not a name an upload makes
  auto removed = prune_backups(dir.path(), 14);
  EXPECT_EQ(removed, std::vector<std::string>{".upload-123.part"});
  auto left = names_in(dir.path());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{".upload-456.part", ".upload-evil.part"}));
}

}  // namespace
}  // namespace keepsake::backup
