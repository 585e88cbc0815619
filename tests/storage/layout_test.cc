#include "storage/layout.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace keepsake::storage {
namespace {

constexpr const char* kUser = "0f6a1b2c-0000-4000-8000-000000000001";
constexpr const char* kAsset = "ab12cd34-0000-4000-8000-000000000002";

TEST(StorageLayoutTest, FoldersInImmichOrder) {
  std::vector<std::string> names;
  for (auto f : kStorageFolders) names.push_back(folder_name(f));
  EXPECT_EQ(names, (std::vector<std::string>{"encoded-video", "library", "upload", "profile",
                                             "thumbs", "backups"}));
}

TEST(StorageLayoutTest, BuildsSpecPaths) {
  StorageLayout l("/data/");
  EXPECT_EQ(l.media_location(), "/data");
  EXPECT_EQ(l.base_folder(StorageFolder::kThumbs), "/data/thumbs");
  EXPECT_EQ(l.mount_marker(StorageFolder::kEncodedVideo), "/data/encoded-video/.immich");
  EXPECT_EQ(l.original(kUser, kAsset, "holiday/IMG_0001.HEIC"),
            std::string("/data/upload/") + kUser + "/ab/12/" + kAsset + ".HEIC");
  EXPECT_EQ(l.sidecar(kUser, kAsset), std::string("/data/upload/") + kUser + "/ab/12/" + kAsset +
                                          ".xmp");
  EXPECT_EQ(l.profile_image(kUser, kAsset, "me.png"),
            std::string("/data/profile/") + kUser + "/" + kAsset + ".png");
  EXPECT_EQ(l.thumbnail(kUser, kAsset, "webp"),
            std::string("/data/thumbs/") + kUser + "/ab/12/" + kAsset + "_thumbnail.webp");
  EXPECT_EQ(l.preview(kUser, kAsset, "jpeg", true),
            std::string("/data/thumbs/") + kUser + "/ab/12/" + kAsset + "_preview_edited.jpeg");
  EXPECT_EQ(l.fullsize(kUser, kAsset, "jpeg"),
            std::string("/data/thumbs/") + kUser + "/ab/12/" + kAsset + "_fullsize.jpeg");
  EXPECT_EQ(l.encoded_video(kUser, kAsset),
            std::string("/data/encoded-video/") + kUser + "/ab/12/" + kAsset + ".mp4");
  EXPECT_EQ(l.android_motion(kUser, kAsset),
            std::string("/data/encoded-video/") + kUser + "/ab/12/" + kAsset + "-MP.mp4");
  EXPECT_EQ(l.person_thumbnail(kUser, kAsset),
            std::string("/data/thumbs/") + kUser + "/ab/12/" + kAsset + ".jpeg");
  EXPECT_EQ(l.backup("immich-db-backup-20250101T000000-v2.7.5-pg15.20.sql.gz"),
            "/data/backups/immich-db-backup-20250101T000000-v2.7.5-pg15.20.sql.gz");
}

TEST(StorageLayoutTest, ExtensionsAndSanitising) {
  EXPECT_EQ(extension_of("a.b.JPG"), ".JPG");
  EXPECT_EQ(extension_of(".bashrc"), "");
  EXPECT_EQ(extension_of("noext"), "");
  EXPECT_EQ(extension_of("dir.x/file"), "");
  EXPECT_EQ(sanitize_file_name("a<b>c:d*e?f|g\"h\\i\x01.jpg"), "abcdefghi.jpg");
  EXPECT_EQ(sanitize_file_name(".."), "");
  EXPECT_EQ(sanitize_file_name("name. . "), "name");
  StorageLayout l("/m");
  EXPECT_EQ(l.original(kUser, kAsset, "x.j:p*g"), std::string("/m/upload/") + kUser + "/ab/12/" +
                                                      kAsset + ".jpg");
}

TEST(StorageLayoutTest, RefusesIdsThatLeaveTheFolder) {
  StorageLayout l("/data");
  EXPECT_THROW(l.original("..", kAsset, "a.jpg"), Error);
  EXPECT_THROW(l.original(kUser, "../../etc", "a.jpg"), Error);
  EXPECT_THROW(l.thumbnail("", kAsset, "jpeg"), Error);
  EXPECT_THROW(l.thumbnail(kUser, kAsset, "jpeg/../../x"), Error);
  EXPECT_THROW(l.backup("../secret"), Error);
  EXPECT_THROW(l.person_thumbnail(kUser, "ab"), Error);
  try {
    StorageLayout bad("relative/path");
    FAIL() << "a relative media location was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(e.full_message().find("IMMICH_MEDIA_LOCATION must be an absolute path"),
              std::string::npos);
  }
}

TEST(StorageLayoutTest, ContainsFollowsIsImmichPath) {
  StorageLayout l("/data");
  EXPECT_TRUE(l.contains("/data"));
  EXPECT_TRUE(l.contains("/data/upload/x.jpg"));
  EXPECT_TRUE(l.contains("/data/upload/../thumbs/x.jpg"));
  EXPECT_FALSE(l.contains("/data2/upload/x.jpg"));
  EXPECT_FALSE(l.contains("/data/../etc/passwd"));
  EXPECT_FALSE(l.contains(""));
  EXPECT_TRUE(StorageLayout("/").contains("/anything"));
}

}  // namespace
}  // namespace keepsake::storage
