#include "jobs/deletion_jobs.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "jobs/handlers.h"
#include "jobs/worker_pool.h"
#include "jobs_fixture.h"

namespace keepsake::jobs {
namespace {

class DeletionJobsTest : public testing::JobsDatabaseTest {
 protected:
  std::vector<std::string> queued(const std::string& name) {
    auto r = conn_->exec("SELECT data::text FROM keepsake.job WHERE name = $1 ORDER BY id", {name});
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  }
  // One file in each of Immich's per-user folders; returns their paths.
  std::vector<std::string> user_files(const std::string& id, const std::string& library_name) {
    return {touch(media_ + "/library/" + library_name + "/2020/a.jpg"),
            touch(media_ + "/upload/" + id + "/aa/bb/a.jpg"),
            touch(media_ + "/profile/" + id + "/me.jpg"),
            touch(media_ + "/thumbs/" + id + "/aa/bb/a_preview.jpeg"),
            touch(media_ + "/encoded-video/" + id + "/aa/bb/v.mp4")};
  }
};

TEST_F(DeletionJobsTest, UserDeleteCheckQueuesUsersPastTheDelay) {
  std::string due = user("due@example.com", "8 days");
  user("recent@example.com", "6 days");
  user("active@example.com");
  EXPECT_EQ(user_delete_check(*conn_, 7), 1);
  auto jobs = queued("UserDelete");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(jobs[0])["id"], due);
}

TEST_F(DeletionJobsTest, UserDeleteRemovesFoldersAndRowsOfThatUserOnly) {
  std::string gone = user("gone@example.com", "8 days", "gonelabel");
  std::string kept = user("kept@example.com");
  auto gone_files = user_files(gone, "gonelabel");
  auto kept_files = user_files(kept, kept);
  std::string photo = asset(gone, gone_files[1]);
  conn_->exec(R"(INSERT INTO album ("ownerId", "albumName") VALUES ($1, 'Trip'), ($2, 'Home'))",
              {gone, kept});

  MediaFiles files(media_);
  EXPECT_TRUE(user_delete(*conn_, files, gone, 7, false));
  for (const auto& f : gone_files) EXPECT_FALSE(on_disk(f)) << f;
  for (const auto& f : kept_files) EXPECT_TRUE(on_disk(f)) << f;
  EXPECT_FALSE(on_disk(media_ + "/upload/" + gone));
  EXPECT_FALSE(on_disk(media_ + "/library/gonelabel"));
  EXPECT_FALSE(exists("user", gone));
  EXPECT_FALSE(exists("asset", photo));
  EXPECT_TRUE(exists("user", kept));
  EXPECT_EQ(count(R"(SELECT count(*) FROM album)"), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM album WHERE "ownerId" = $1)", {kept}), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM user_audit WHERE "userId" = $1)", {gone}), 1);
}

TEST_F(DeletionJobsTest, UserDeleteRechecksUnlessForced) {
  std::string restored = user("back@example.com");
  auto restored_files = user_files(restored, restored);
  MediaFiles files(media_);
  EXPECT_FALSE(user_delete(*conn_, files, restored, 7, false));
  EXPECT_TRUE(exists("user", restored));
  for (const auto& f : restored_files) EXPECT_TRUE(on_disk(f));
  EXPECT_TRUE(user_delete(*conn_, files, restored, 7, true));
  EXPECT_FALSE(exists("user", restored));
  try {
    user_delete(*conn_, files, restored, 7, true);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

TEST_F(DeletionJobsTest, UserDeleteNeverLeavesTheMediaLocation) {
  std::string evil = user("evil@example.com", "30 days", "../../outside");
  std::string outside_file = touch(outside_ + "/precious.jpg");
  std::string victim = touch(tmp_.path() + "/precious.jpg");
  MediaFiles files(media_);
  EXPECT_TRUE(user_delete(*conn_, files, evil, 7, false));
  EXPECT_TRUE(on_disk(outside_file));
  EXPECT_TRUE(on_disk(victim));
  EXPECT_TRUE(on_disk(media_));
  EXPECT_GE(files.refused(), 1);
}

TEST_F(DeletionJobsTest, SymlinkedUserFolderIsRemovedAsALinkOnly) {
  std::string gone = user("gone@example.com", "8 days");
  std::string target = touch(outside_ + "/elsewhere/keep.jpg");
  std::filesystem::create_directories(media_ + "/upload");
  std::filesystem::create_symlink(outside_ + "/elsewhere", media_ + "/upload/" + gone);
  MediaFiles files(media_);
  EXPECT_TRUE(user_delete(*conn_, files, gone, 7, false));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(media_ + "/upload/" + gone)));
  EXPECT_TRUE(on_disk(target));
}

TEST_F(DeletionJobsTest, AssetDeleteCheckQueuesAssetsPastTheTrashPeriod) {
  std::string owner = user("a@example.com");
  std::string old_trash = asset(owner, media_ + "/upload/a.jpg", "31 days");
  std::string offline = asset(owner, "/mnt/external/b.jpg", "40 days");
  conn_->exec(R"(UPDATE asset SET "isOffline" = true WHERE id = $1)", {offline});
  asset(owner, media_ + "/upload/c.jpg", "5 days");
  asset(owner, media_ + "/upload/d.jpg");
  EXPECT_EQ(asset_delete_check(*conn_, 30), 2);
  std::map<std::string, bool> on_disk_flag;
  for (const auto& text : queued("AssetDelete")) {
    auto j = nlohmann::json::parse(text);
    on_disk_flag[j["id"]] = j["deleteOnDisk"];
  }
  ASSERT_EQ(on_disk_flag.size(), 2u);
  EXPECT_TRUE(on_disk_flag.at(old_trash));
  EXPECT_FALSE(on_disk_flag.at(offline));
  conn_->exec("DELETE FROM keepsake.job");
  EXPECT_EQ(asset_delete_check(*conn_, 0), 3) << "trash disabled: every trashed asset";
}

TEST_F(DeletionJobsTest, AssetDeleteRemovesRowsAndFiles) {
  std::string owner = user("a@example.com");
  std::string original = touch(media_ + "/upload/" + owner + "/aa/bb/a.jpg");
  std::string sidecar = touch(original + ".xmp");
  std::string thumb = touch(media_ + "/thumbs/" + owner + "/aa/bb/a_thumbnail.webp");
  std::string preview = touch(media_ + "/thumbs/" + owner + "/aa/bb/a_preview.jpeg");
  std::string other = touch(media_ + "/upload/" + owner + "/aa/bb/other.jpg");
  std::string id = asset(owner, original, "31 days");
  std::string kept = asset(owner, other);
  asset_file(id, "thumbnail", thumb);
  asset_file(id, "preview", preview);
  asset_file(id, "sidecar", sidecar);
  conn_->exec(R"(INSERT INTO asset_exif ("assetId", "fileSizeInByte") VALUES ($1, 100))", {id});
  conn_->exec(R"(UPDATE "user" SET "quotaUsageInBytes" = 150 WHERE id = $1)", {owner});

  MediaFiles files(media_);
  EXPECT_TRUE(asset_delete(*conn_, files, id, true));
  EXPECT_FALSE(exists("asset", id));
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset_file WHERE "assetId" = $1)", {id}), 0);
  for (const auto& f : {original, sidecar, thumb, preview}) EXPECT_FALSE(on_disk(f)) << f;
  EXPECT_TRUE(on_disk(other));
  EXPECT_TRUE(exists("asset", kept));
  EXPECT_EQ(count(R"(SELECT "quotaUsageInBytes" FROM "user" WHERE id = $1)", {owner}), 50);
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset_audit WHERE "assetId" = $1)", {id}), 1);
}

TEST_F(DeletionJobsTest, AssetDeleteKeepsOriginalsWhenNotOnDiskOrOutsideTheMediaLocation) {
  std::string owner = user("a@example.com");
  std::string offline_original = touch(media_ + "/upload/" + owner + "/off.jpg");
  std::string offline_thumb = touch(media_ + "/thumbs/" + owner + "/off_thumbnail.webp");
  std::string offline = asset(owner, offline_original, "31 days");
  asset_file(offline, "thumbnail", offline_thumb);
  std::string external_original = touch(outside_ + "/library/ext.jpg");
  std::string external = asset(owner, external_original, "31 days");

  MediaFiles files(media_);
  EXPECT_TRUE(asset_delete(*conn_, files, offline, false));
  EXPECT_TRUE(on_disk(offline_original));
  EXPECT_FALSE(on_disk(offline_thumb));
  EXPECT_TRUE(asset_delete(*conn_, files, external, true));
  EXPECT_FALSE(exists("asset", external));
  EXPECT_TRUE(on_disk(external_original)) << "never delete outside the media location";
}

TEST_F(DeletionJobsTest, AssetRestoredBeforeTheJobRunsIsKept) {
  std::string owner = user("a@example.com");
  std::string original = touch(media_ + "/upload/a.jpg");
  std::string id = asset(owner, original);
  MediaFiles files(media_);
  EXPECT_FALSE(asset_delete(*conn_, files, id, true));
  EXPECT_TRUE(exists("asset", id));
  EXPECT_TRUE(on_disk(original));
}

TEST_F(DeletionJobsTest, DeletingAStackPrimaryKeepsTheStackValid) {
  std::string owner = user("a@example.com");
  std::string a = asset(owner, media_ + "/upload/a.jpg", "31 days");
  std::string b = asset(owner, media_ + "/upload/b.jpg");
  std::string c = asset(owner, media_ + "/upload/c.jpg");
  std::string stack = conn_->exec(R"(INSERT INTO stack ("primaryAssetId", "ownerId") VALUES ($1, $2)
                                     RETURNING id)", {a, owner}).text(0, 0);
  conn_->exec(R"(UPDATE asset SET "stackId" = $1 WHERE id IN ($2, $3, $4))", {stack, a, b, c});
  MediaFiles files(media_);
  EXPECT_TRUE(asset_delete(*conn_, files, a, true));
  auto primary = conn_->exec(R"(SELECT "primaryAssetId" FROM stack WHERE id = $1)", {stack});
  ASSERT_EQ(primary.rows(), 1);
  EXPECT_TRUE(primary.text(0, 0) == b || primary.text(0, 0) == c);

  conn_->exec(R"(UPDATE asset SET "deletedAt" = now() WHERE id = $1)", {primary.text(0, 0)});
  EXPECT_TRUE(asset_delete(*conn_, files, primary.text(0, 0), true));
  EXPECT_FALSE(exists("stack", stack)) << "a stack of one is dissolved";
}

TEST_F(DeletionJobsTest, LivePhotoMotionPartIsQueuedWhenUnused) {
  std::string owner = user("a@example.com");
  std::string motion = asset(owner, media_ + "/encoded-video/m.mp4", "", "hidden");
  std::string still = asset(owner, media_ + "/upload/s.heic", "31 days");
  conn_->exec(R"(UPDATE asset SET "livePhotoVideoId" = $1 WHERE id = $2)", {motion, still});
  MediaFiles files(media_);
  EXPECT_TRUE(asset_delete(*conn_, files, still, true));
  auto jobs = queued("AssetDelete");
  ASSERT_EQ(jobs.size(), 1u);
  auto j = nlohmann::json::parse(jobs[0]);
  EXPECT_EQ(j["id"], motion);
  EXPECT_TRUE(asset_delete(*conn_, files, motion, j["deleteOnDisk"], j["force"]));
  EXPECT_FALSE(exists("asset", motion));
}

TEST_F(DeletionJobsTest, BadIdsAreRefusedWithoutDeletingAnything) {
  std::string owner = user("a@example.com");
  std::string id = asset(owner, media_ + "/upload/a.jpg", "31 days");
  MediaFiles files(media_);
  EXPECT_THROW(asset_delete(*conn_, files, "not-a-uuid", true), Error);
  EXPECT_TRUE(exists("asset", id));
  EXPECT_THROW(MediaFiles("relative/path"), Error);
}

// A job run again after a crash finds its asset gone: nothing to do, not a failure.
TEST_F(DeletionJobsTest, AnAssetAlreadyDeletedIsSkipped) {
  MediaFiles files(media_);
  EXPECT_FALSE(asset_delete(*conn_, files, "00000000-0000-0000-0000-000000000001", true));
}

// The files' removal is queued in the rows' transaction and withdrawn once done; a FileDelete
// job that a crash left behind removes them, inside the media location only.
TEST_F(DeletionJobsTest, FilesOfDeletedRowsAreRemovedByTheQueuedFileDeleteJob) {
  std::string owner = user("a@example.com");
  std::string original = touch(media_ + "/upload/" + owner + "/a.jpg");
  MediaFiles files(media_);
  EXPECT_TRUE(asset_delete(*conn_, files, asset(owner, original, "31 days"), true));
  EXPECT_FALSE(on_disk(original));
  EXPECT_TRUE(queued("FileDelete").empty()) << "withdrawn once the files are gone";

  std::string left = touch(media_ + "/thumbs/" + owner + "/b.webp");
  std::string outside = touch(outside_ + "/b.jpg");
  JobQueue(*conn_).enqueue({"FileDelete", {{"files", {left, outside, "", media_ + "/gone.jpg"}}}});
  Config config;
  config.media_location = media_;
  auto claimed = JobQueue(*conn_).claim("backgroundTask", "t", std::chrono::seconds(60));
  ASSERT_TRUE(claimed);
  JobContext ctx{*claimed, *conn_};
  (*default_handlers(config, {}).find("FileDelete"))(ctx);
  EXPECT_FALSE(on_disk(left));
  EXPECT_TRUE(on_disk(outside));
}

}  // namespace
}  // namespace keepsake::jobs
