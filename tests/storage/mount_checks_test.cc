#include "storage/mount_checks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "common/error.h"
#include "db/locks.h"
#include "db/system_metadata.h"
#include "storage/fs_helpers.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;
using testing::EmptyMount;
using testing::read_text;
using testing::ReadOnlyFolder;
using testing::write_text;

std::string docs() { return kFolderChecksDocs; }

class MountChecksTest : public testing::StorageDbTest {
 protected:
  StorageLayout layout() const { return StorageLayout(media_.path()); }
  nlohmann::json flags() {
    return db::SystemMetadataRepository(*conn_).get("system-flags").value_or(nullptr);
  }
  const FolderCheck& folder(const MountCheckReport& r, StorageFolder f) {
    for (const auto& c : r.folders) {
      if (c.folder == f) return c;
    }
    throw std::runtime_error("folder missing from report");
  }
};

TEST_F(MountChecksTest, FirstBootCreatesEveryMarkerAndFlagsAllSix) {
  auto report = verify_mounts(*conn_, layout());
  ASSERT_TRUE(report.ok()) << report.first_error();
  EXPECT_TRUE(report.flags_saved);
  ASSERT_EQ(report.folders.size(), 6u);
  for (const auto& c : report.folders) {
    EXPECT_TRUE(c.created && c.readable && c.writable) << folder_name(c.folder);
    auto content = read_text(layout().mount_marker(c.folder));
    EXPECT_FALSE(content.empty());
    EXPECT_EQ(content.find_first_not_of("0123456789"), std::string::npos) << content;
  }
  EXPECT_EQ(flags(), nlohmann::json::parse(R"({"mountChecks": {"encoded-video": true,
      "library": true, "upload": true, "profile": true, "thumbs": true, "backups": true}})"));
}

TEST_F(MountChecksTest, LaterBootsReadAndRewriteTheMarkers) {
  ASSERT_TRUE(verify_mounts(*conn_, layout()).ok());
  auto marker = layout().mount_marker(StorageFolder::kUpload);
  write_text(marker, "1");
  auto report = verify_mounts(*conn_, layout());
  ASSERT_TRUE(report.ok()) << report.first_error();
  EXPECT_FALSE(report.flags_saved);
  EXPECT_FALSE(folder(report, StorageFolder::kUpload).created);
  EXPECT_TRUE(folder(report, StorageFolder::kUpload).was_flagged);
  EXPECT_NE(read_text(marker), "1");
}

TEST_F(MountChecksTest, ExistingMarkerOnAnUnflaggedFolderIsKept) {
  write_text(layout().mount_marker(StorageFolder::kLibrary), "42");
  auto report = verify_mounts(*conn_, layout());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(folder(report, StorageFolder::kLibrary).created);
  EXPECT_TRUE(folder(report, StorageFolder::kLibrary).writable);
  EXPECT_EQ(flags()["mountChecks"]["library"], true);
}

TEST_F(MountChecksTest, MissingFlaggedFolderFailsWithImmichTextAndIsNotRecreated) {
  ASSERT_TRUE(verify_mounts(*conn_, layout()).ok());
  auto thumbs = layout().base_folder(StorageFolder::kThumbs);
  fs::remove_all(thumbs);
  auto report = verify_mounts(*conn_, layout());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(*folder(report, StorageFolder::kThumbs).error,
            "Failed to read: \"<UPLOAD_LOCATION>/thumbs/.immich (" + thumbs + "/.immich) - " +
                docs() + "\"");
  EXPECT_FALSE(fs::exists(thumbs));
  for (auto f : {StorageFolder::kUpload, StorageFolder::kBackups}) {
    EXPECT_FALSE(folder(report, f).error.has_value()) << folder_name(f);
  }
}

TEST_F(MountChecksTest, FolderReplacedByAnEmptyMountFails) {
  ASSERT_TRUE(verify_mounts(*conn_, layout()).ok());
  auto upload = layout().base_folder(StorageFolder::kUpload);
  write_text(upload + "/user/ab/cd/photo.jpg", "jpeg");
  {
    EmptyMount empty(upload);
    auto report = verify_mounts(*conn_, layout());
    EXPECT_EQ(report.first_error(), "Failed to read: \"<UPLOAD_LOCATION>/upload/.immich (" +
                                        upload + "/.immich) - " + docs() + "\"");
    EXPECT_FALSE(fs::exists(upload + "/.immich")) << "the check must not paper over the mount";
  }
  EXPECT_TRUE(verify_mounts(*conn_, layout()).ok());
}

TEST_F(MountChecksTest, ReadOnlyFlaggedFolderFailsToWrite) {
  ASSERT_TRUE(verify_mounts(*conn_, layout()).ok());
  auto library = layout().base_folder(StorageFolder::kLibrary);
  ReadOnlyFolder ro(library);
  if (ro.method().empty()) GTEST_SKIP() << "neither a read-only bind mount nor chattr +i works here";
  auto report = verify_mounts(*conn_, layout());
  const auto& c = folder(report, StorageFolder::kLibrary);
  EXPECT_TRUE(c.readable);
  EXPECT_FALSE(c.writable);
  EXPECT_EQ(*c.error, "Failed to write \"<UPLOAD_LOCATION>/library/.immich - " + docs() + "\"")
      << "simulated with " << ro.method();
}

TEST_F(MountChecksTest, ReadOnlyNewFolderFailsToCreateButOthersAreFlagged) {
  auto profile = layout().base_folder(StorageFolder::kProfile);
  fs::create_directories(profile);
  ReadOnlyFolder ro(profile);
  if (ro.method().empty()) GTEST_SKIP() << "neither a read-only bind mount nor chattr +i works here";
  auto report = verify_mounts(*conn_, layout());
  EXPECT_EQ(*folder(report, StorageFolder::kProfile).error,
            "Failed to create \"<UPLOAD_LOCATION>/profile/.immich - " + docs() + "\"");
  auto f = flags()["mountChecks"];
  EXPECT_FALSE(f.contains("profile"));
  EXPECT_EQ(f["thumbs"], true);
  EXPECT_EQ(f["backups"], true) << "folders after the failing one are still checked";
}

TEST_F(MountChecksTest, BootThrowsUnlessErrorsAreIgnored) {
  ASSERT_TRUE(verify_mounts(*conn_, layout()).ok());
  fs::remove_all(layout().base_folder(StorageFolder::kEncodedVideo));
  try {
    run_boot_mount_checks(db_config_, layout(), false);
    FAIL() << "a missing mount did not stop the boot";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_TRUE(std::string(e.what()).starts_with(
        "Failed to read: \"<UPLOAD_LOCATION>/encoded-video/.immich ("));
  }
  auto report = run_boot_mount_checks(db_config_, layout(), true);
  EXPECT_FALSE(report.ok());
  EXPECT_FALSE(db::is_lock_held_elsewhere(*conn_, db::DatabaseLock::SystemFileMounts));
}

TEST_F(MountChecksTest, BootWaitsForTheLock) {
  auto held = db::try_lock(db_config_, db::DatabaseLock::SystemFileMounts);
  ASSERT_NE(held, nullptr);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    held.reset();
  });
  auto report = run_boot_mount_checks(db_config_, layout(), false);
  release.join();
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.flags_saved);
}

TEST_F(MountChecksTest, DetectPriorInstallCountsFilesAndChecksMarkers) {
  write_text(layout().base_folder(StorageFolder::kUpload) + "/a/b.jpg", "x");
  write_text(layout().base_folder(StorageFolder::kUpload) + "/c.jpg", "x");
  write_text(layout().mount_marker(StorageFolder::kUpload), "1");
  auto found = detect_prior_install(layout());
  ASSERT_EQ(found.size(), 6u);
  EXPECT_EQ(found[2].folder, StorageFolder::kUpload);
  EXPECT_EQ(found[2].files, 2);
  EXPECT_TRUE(found[2].readable && found[2].writable);
  EXPECT_FALSE(found[0].readable || found[0].writable);
  EXPECT_FALSE(fs::exists(layout().base_folder(StorageFolder::kEncodedVideo)));
}

}  // namespace
}  // namespace keepsake::storage
