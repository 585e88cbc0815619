// Free space of the library's disks: measured where the folder exists, unavailable (with the
// reason) where it does not, and a database on its own server is never guessed.
#include "storage/disk_space.h"

#include <gtest/gtest.h>

#include "harness/test_cluster.h"

namespace keepsake::storage {
namespace {

TEST(DiskSpaceTest, MeasuresExistingFoldersAndNamesWhatCannotBeSeen) {
  keepsake::testing::TempDir media;
  Config config;
  config.media_location = media.path();
  config.data_dir = media.path() + "/does-not-exist";
  config.db.host = "db.example";
  auto disks = disk_space(config);
  ASSERT_EQ(disks.size(), 4u);
  EXPECT_TRUE(disks[0].available);
  EXPECT_GT(disks[0].total, 0u);
  EXPECT_LE(disks[0].free, disks[0].total);
  EXPECT_FALSE(disks[1].available) << "no backups folder yet";
  EXPECT_FALSE(disks[1].reason.empty());
  EXPECT_FALSE(disks[2].available);
  EXPECT_FALSE(disks[3].available);
  EXPECT_NE(disks[3].reason.find("db.example"), std::string::npos);
}

}  // namespace
}  // namespace keepsake::storage
