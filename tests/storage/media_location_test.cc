#include "storage/media_location.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "db/system_metadata.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage {
namespace {

using Action = MediaLocationDecision::Action;

MediaLocationDecision decide(std::string current, bool env, std::optional<std::string> saved,
                             std::vector<std::string> samples) {
  return decide_media_location({std::move(current), env, std::move(saved), std::move(samples)});
}

TEST(MediaLocationDecisionTest, NoSamplesOnlySavesTheLocation) {
  auto d = decide("/data", false, std::nullopt, {});
  EXPECT_EQ(d.action, Action::kNothing);
  EXPECT_TRUE(d.save_current);
  EXPECT_FALSE(decide("/data", false, "/data/", {}).save_current);
  EXPECT_TRUE(decide("/data", false, "/old", {}).save_current);
}

TEST(MediaLocationDecisionTest, SavedLocationUnchanged) {
  auto d = decide("/data", false, "/data", {"/data/thumbs/u/ab/cd/x.jpeg"});
  EXPECT_EQ(d.action, Action::kNothing);
  EXPECT_FALSE(d.save_current);
  EXPECT_FALSE(d.paths_outside);
}

TEST(MediaLocationDecisionTest, SavedLocationChangedMigrates) {
  auto d = decide("/data", false, "/usr/src/app/upload", {"/usr/src/app/upload/thumbs/x.jpeg"});
  EXPECT_EQ(d.action, Action::kMigrate);
  EXPECT_EQ(d.previous, "/usr/src/app/upload");
  EXPECT_TRUE(d.save_current);
}

TEST(MediaLocationDecisionTest, NothingSavedWithEnvMeansCurrent) {
  auto d = decide("/srv/photos", true, std::nullopt, {"/usr/src/app/upload/thumbs/x.jpeg"});
  EXPECT_EQ(d.action, Action::kNothing);
  EXPECT_EQ(d.previous, "/srv/photos");
  EXPECT_TRUE(d.paths_outside);
  EXPECT_TRUE(d.save_current);
}

TEST(MediaLocationDecisionTest, NothingSavedRelativeUploadPaths) {
  auto d = decide("/data", false, std::nullopt, {"upload/thumbs/u/x.jpeg"});
  EXPECT_EQ(d.action, Action::kMigrate);
  EXPECT_EQ(d.previous, "upload");
}

TEST(MediaLocationDecisionTest, NothingSavedDefaultsToTheOldContainerPath) {
  auto d = decide("/data", false, std::nullopt, {"/usr/src/app/upload/thumbs/x.jpeg"});
  EXPECT_EQ(d.action, Action::kMigrate);
  EXPECT_EQ(d.previous, "/usr/src/app/upload");
  auto same = decide("/usr/src/app/upload", false, std::nullopt, {"/usr/src/app/upload/x"});
  EXPECT_EQ(same.action, Action::kNothing);
}

TEST(MediaLocationDecisionTest, InconsistentWhenNoSampleLiesUnderPrevious) {
  auto d = decide("/data", false, "/usr/src/app/upload", {"/mnt/photos/thumbs/x.jpeg"});
  EXPECT_EQ(d.action, Action::kInconsistent);
  EXPECT_FALSE(d.save_current);
}

TEST(MediaLocationDecisionTest, PrefixMustEndAtAFolderBoundary) {
  // Immich's startsWith would accept "/data2/..." as lying under "/data".
  auto d = decide("/srv", false, "/data", {"/data2/thumbs/x.jpeg"});
  EXPECT_EQ(d.action, Action::kInconsistent);
  EXPECT_TRUE(path_is_under("/data", "/data/"));
  EXPECT_TRUE(path_is_under("/data/x", "/data"));
  EXPECT_FALSE(path_is_under("/data2/x", "/data"));
}

TEST(MediaLocationDecisionTest, TrailingSlashIsNotAChange) {
  auto d = decide("/data/", false, "/data", {"/data/thumbs/x.jpeg"});
  EXPECT_EQ(d.action, Action::kNothing);
  EXPECT_FALSE(d.save_current);
}

class MediaLocationTest : public testing::StorageDbTest {
 protected:
  Config config(const std::string& current, bool env = false) {
    Config c;
    c.db = db_config_;
    c.media_location = current;
    c.media_location_from_env = env;
    return c;
  }
  std::optional<std::string> saved() {
    auto v = db::SystemMetadataRepository(*conn_).get("MediaLocation");
    if (!v) return std::nullopt;
    return (*v)["location"].get<std::string>();
  }
};

TEST_F(MediaLocationTest, BootMigratesOnlyTheOldPrefixAndSavesTheLocation) {
  auto user = add_user("/old/profile/u/p.jpg");
  auto asset = add_asset(user, "/old/upload/u/ab/cd/a.jpg");
  auto external = add_asset(user, "/mnt/external/b.jpg", true);
  add_asset_file(asset, "thumbnail", "/old/thumbs/u/ab/cd/a_thumbnail.webp");
  add_person(user, "");
  db::SystemMetadataRepository(*conn_).upsert("MediaLocation", {{"location", "/old"}});

  auto out = run_boot_media_location(db_config_, config("/new"));
  ASSERT_TRUE(out.migrated.has_value());
  EXPECT_EQ(out.migrated->total(), 3);
  EXPECT_EQ(saved(), "/new");
  EXPECT_EQ(conn_->exec(R"(SELECT "originalPath" FROM asset WHERE id = $1)", {asset}).text(0, 0),
            "/new/upload/u/ab/cd/a.jpg");
  EXPECT_EQ(conn_->exec(R"(SELECT "originalPath" FROM asset WHERE id = $1)", {external}).text(0, 0),
            "/mnt/external/b.jpg");
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset_file WHERE path LIKE '/new/thumbs/%')"), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM "user" WHERE "profileImagePath" = '/new/profile/u/p.jpg')"), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM person WHERE "thumbnailPath" = '')"), 1);

  auto again = run_boot_media_location(db_config_, config("/new"));
  EXPECT_FALSE(again.migrated.has_value());
}

TEST_F(MediaLocationTest, InconsistentLocationThrowsImmichTextAndChangesNothing) {
  auto user = add_user();
  auto asset = add_asset(user, "/elsewhere/upload/a.jpg");
  add_asset_file(asset, "preview", "/elsewhere/thumbs/a_preview.jpeg");
  db::SystemMetadataRepository(*conn_).upsert("MediaLocation", {{"location", "/old"}});
  try {
    run_boot_media_location(db_config_, config("/new"));
    FAIL() << "no error for an inconsistent media location";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), kInconsistentMediaLocation);
    EXPECT_EQ(std::string(e.what()),
              "Detected an inconsistent media location. For more information, see "
              "https://docs.immich.app/errors#inconsistent-media-location");
    EXPECT_NE(e.hint().find("/elsewhere/thumbs/a_preview.jpeg"), std::string::npos);
  }
  EXPECT_EQ(saved(), "/old");
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset_file WHERE path LIKE '/elsewhere/%')"), 1);
}

TEST_F(MediaLocationTest, EmptyLibrarySavesTheLocationOnly) {
  auto out = run_boot_media_location(db_config_, config("/data"));
  EXPECT_EQ(out.decision.action, Action::kNothing);
  EXPECT_EQ(saved(), "/data");
}

TEST_F(MediaLocationTest, RelativeUploadPathsBecomeAbsolute) {
  auto user = add_user();
  auto asset = add_asset(user, "upload/u/ab/cd/a.jpg");
  add_asset_file(asset, "thumbnail", "upload/thumbs/u/ab/cd/a.webp");
  run_boot_media_location(db_config_, config("/data"));
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset WHERE "originalPath" = '/data/u/ab/cd/a.jpg')"), 1);
  EXPECT_EQ(saved(), "/data");
}

}  // namespace
}  // namespace keepsake::storage
