#include "jobs/cleanup_jobs.h"

#include <gtest/gtest.h>

#include "jobs/memory_generate.h"
#include "jobs_fixture.h"

namespace keepsake::jobs {
namespace {

class CleanupJobsTest : public testing::JobsDatabaseTest {};

TEST_F(CleanupJobsTest, AuditLogCleanupRemovesRowsOlderThan100Days) {
  std::string owner = user("a@example.com");
  conn_->exec(R"(INSERT INTO audit ("entityType", "entityId", action, "ownerId", "createdAt")
                 VALUES ('ASSET', gen_random_uuid(), 'DELETE', $1, now() - interval '101 days'),
                        ('ASSET', gen_random_uuid(), 'DELETE', $1, now() - interval '99 days'))",
              {owner});
  EXPECT_EQ(audit_log_cleanup(*conn_), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM audit WHERE "createdAt" > now() - interval '100 days')"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit"), 1);
}

TEST_F(CleanupJobsTest, AuditTableCleanupKeeps31DaysInEveryAuditTable) {
  conn_->exec(R"(INSERT INTO user_audit ("userId", "deletedAt")
                 VALUES (gen_random_uuid(), now() - interval '32 days'),
                        (gen_random_uuid(), now() - interval '30 days'))");
  conn_->exec(R"(INSERT INTO person_audit ("personId", "ownerId", "deletedAt")
                 VALUES (gen_random_uuid(), gen_random_uuid(), now() - interval '40 days'))");
  EXPECT_EQ(audit_table_cleanup(*conn_), 2);
  EXPECT_EQ(count("SELECT count(*) FROM user_audit"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM person_audit"), 0);
}

TEST_F(CleanupJobsTest, SessionCleanupRemovesIdleAndExpiredSessions) {
  std::string owner = user("a@example.com");
  auto session = [&](const std::string& updated_ago, const std::string& expires_in) {
    return conn_
        ->exec(R"(INSERT INTO session (token, "userId", "updatedAt", "expiresAt")
                  VALUES (decode(md5(random()::text), 'hex'), $1, now() - $2::interval,
                          CASE WHEN $3 = '' THEN NULL ELSE now() + $3::interval END)
                  RETURNING id)",
               {owner, updated_ago, expires_in})
        .text(0, 0);
  };
  std::string idle = session("91 days", "");
  std::string expired = session("1 day", "-1 minute");
  std::string fresh = session("1 day", "");
  std::string valid = session("89 days", "1 day");
  EXPECT_EQ(session_cleanup(*conn_), 2);
  EXPECT_FALSE(exists("session", idle));
  EXPECT_FALSE(exists("session", expired));
  EXPECT_TRUE(exists("session", fresh));
  EXPECT_TRUE(exists("session", valid));
}

TEST_F(CleanupJobsTest, TagCleanupRemovesTagsWithoutAssetsBelowThem) {
  std::string owner = user("a@example.com");
  std::string photo = asset(owner, media_ + "/upload/a.jpg");
  auto tag = [&](const std::string& value, const std::string& parent) {
    return conn_
        ->exec(R"(INSERT INTO tag ("userId", value, "parentId") VALUES ($1, $2, nullif($3, '')::uuid)
                  RETURNING id)",
               {owner, value, parent})
        .text(0, 0);
  };
  std::string parent = tag("Trips", "");
  std::string child = tag("Trips/Rome", parent);
  std::string empty = tag("Empty", "");
  conn_->exec(R"(INSERT INTO tag_closure VALUES ($1, $1), ($1, $2), ($2, $2), ($3, $3))",
              {parent, child, empty});
  conn_->exec(R"(INSERT INTO tag_asset ("assetId", "tagId") VALUES ($1, $2))", {photo, child});
  EXPECT_EQ(tag_cleanup(*conn_), 1);
  EXPECT_TRUE(exists("tag", parent));
  EXPECT_TRUE(exists("tag", child));
  EXPECT_FALSE(exists("tag", empty));
}

TEST_F(CleanupJobsTest, PersonCleanupRemovesPeopleWithoutVisibleFacesAndTheirThumbnails) {
  std::string owner = user("a@example.com");
  std::string photo = asset(owner, media_ + "/upload/a.jpg");
  auto person = [&](const std::string& thumbnail) {
    return conn_
        ->exec(R"(INSERT INTO person ("ownerId", "thumbnailPath") VALUES ($1, $2) RETURNING id)",
               {owner, thumbnail})
        .text(0, 0);
  };
  auto face = [&](const std::string& person_id, bool deleted, bool visible) {
    conn_->exec(R"(INSERT INTO asset_face ("assetId", "personId", "deletedAt", "isVisible")
                   VALUES ($1, $2, CASE WHEN $3 THEN now() END, $4))",
                {photo, person_id, deleted ? "true" : "false", visible ? "true" : "false"});
  };
  std::string kept_thumb = touch(media_ + "/thumbs/" + owner + "/aa/bb/kept.jpeg");
  std::string gone_thumb = touch(media_ + "/thumbs/" + owner + "/cc/dd/gone.jpeg");
  std::string outside_thumb = touch(outside_ + "/face.jpeg");
  std::string with_face = person(kept_thumb);
  std::string deleted_face = person(gone_thumb);
  std::string no_face = person(outside_thumb);  // Immich misses this one (spec §7.3)
  std::string hidden_face = person("");
  face(with_face, false, true);
  face(deleted_face, true, true);
  face(hidden_face, false, false);

  MediaFiles files(media_);
  EXPECT_EQ(person_cleanup(*conn_, files), 3);
  EXPECT_TRUE(exists("person", with_face));
  EXPECT_FALSE(exists("person", deleted_face));
  EXPECT_FALSE(exists("person", no_face));
  EXPECT_FALSE(exists("person", hidden_face));
  EXPECT_TRUE(on_disk(kept_thumb));
  EXPECT_FALSE(on_disk(gone_thumb));
  EXPECT_TRUE(on_disk(outside_thumb)) << "a path outside the media location must never be deleted";
  EXPECT_EQ(files.refused(), 1);
}

TEST_F(CleanupJobsTest, MemoryCleanupDropsHiddenAssetsAndOldUnsavedMemories) {
  std::string owner = user("a@example.com");
  std::string shown = asset(owner, media_ + "/upload/a.jpg");
  std::string hidden = asset(owner, media_ + "/upload/b.jpg", "", "hidden");
  auto memory = [&](const std::string& created_ago, bool saved) {
    return conn_
        ->exec(R"(INSERT INTO memory ("ownerId", type, data, "memoryAt", "createdAt", "isSaved")
                  VALUES ($1, 'on_this_day', '{"year": 2020}', now(), now() - $2::interval, $3)
                  RETURNING id)",
               {owner, created_ago, saved ? "true" : "false"})
        .text(0, 0);
  };
  std::string old_unsaved = memory("31 days", false);
  std::string old_saved = memory("31 days", true);
  std::string recent = memory("29 days", false);
  conn_->exec(R"(INSERT INTO memory_asset ("memoriesId", "assetId") VALUES ($1, $2), ($1, $3))",
              {recent, shown, hidden});
  EXPECT_EQ(memory_cleanup(*conn_), 1);
  EXPECT_FALSE(exists("memory", old_unsaved));
  EXPECT_TRUE(exists("memory", old_saved));
  EXPECT_TRUE(exists("memory", recent));
  auto links = conn_->exec(R"(SELECT "assetId" FROM memory_asset)");
  ASSERT_EQ(links.rows(), 1);
  EXPECT_EQ(links.text(0, 0), shown);
}

TEST_F(CleanupJobsTest, NotificationsCleanupAlsoRemovesOldUnreadOnes) {
  std::string owner = user("a@example.com");
  auto notification = [&](const std::string& created_ago, const std::string& read_ago,
                          const std::string& deleted_ago) {
    return conn_
        ->exec(R"(INSERT INTO notification ("userId", title, "createdAt", "readAt", "deletedAt")
                  VALUES ($1, 'n', now() - $2::interval,
                          now() - nullif($3, '')::interval, now() - nullif($4, '')::interval)
                  RETURNING id)",
               {owner, created_ago, read_ago, deleted_ago})
        .text(0, 0);
  };
  std::string deleted_long_ago = notification("5 days", "", "4 days");
  std::string deleted_recently = notification("5 days", "", "1 day");
  std::string read_recently_old = notification("20 days", "1 day", "");  // Immich's read rule
  std::string read_long_ago_old = notification("20 days", "10 days", "");
  std::string unread_31_days = notification("31 days", "", "");  // Immich never matches this
  std::string unread_29_days = notification("29 days", "", "");
  EXPECT_EQ(notifications_cleanup(*conn_), 3);
  EXPECT_FALSE(exists("notification", deleted_long_ago));
  EXPECT_TRUE(exists("notification", deleted_recently));
  EXPECT_FALSE(exists("notification", read_recently_old));
  EXPECT_TRUE(exists("notification", read_long_ago_old));
  EXPECT_FALSE(exists("notification", unread_31_days));
  EXPECT_TRUE(exists("notification", unread_29_days));
}

TEST_F(CleanupJobsTest, UserSyncUsageSumsUploadedAssets) {
  std::string owner = user("a@example.com");
  std::string photo = asset(owner, media_ + "/upload/a.jpg");
  conn_->exec(R"(INSERT INTO asset_exif ("assetId", "fileSizeInByte") VALUES ($1, 1234))", {photo});
  EXPECT_EQ(user_sync_usage(*conn_), 1);
  EXPECT_EQ(count(R"(SELECT "quotaUsageInBytes" FROM "user" WHERE id = $1)", {owner}), 1234);
}

TEST_F(CleanupJobsTest, MemoryGenerateCreatesOnThisDayMemoriesOnce) {
  std::string owner = user("a@example.com");
  std::string day = conn_->exec("SELECT to_char(now() AT TIME ZONE 'UTC', 'MM-DD')").text(0, 0);
  auto photo = [&](const std::string& year, bool with_preview) {
    std::string id = asset(owner, media_ + "/upload/" + year + ".jpg", "", "timeline",
                           year + "-" + day + "T10:00:00Z");
    conn_->exec(R"(INSERT INTO asset_job_status ("assetId") VALUES ($1))", {id});
    if (with_preview) asset_file(id, "preview", media_ + "/thumbs/p" + year + ".jpeg");
    return id;
  };
  std::string y2019 = photo("2019", true);
  std::string y2018 = photo("2018", true);
  photo("2017", false);  // no preview: never in a memory
  std::string this_year =
      photo(conn_->exec("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY')").text(0, 0), true);

  EXPECT_EQ(memory_generate(*conn_), 2);
  auto r = conn_->exec(R"(SELECT (m.data->>'year')::int, ma."assetId", m.type,
                                 m."showAt" = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                            FROM memory m JOIN memory_asset ma ON ma."memoriesId" = m.id
                           ORDER BY 1)");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.int64(0, 0), 2018);
  EXPECT_EQ(r.text(0, 1), y2018);
  EXPECT_EQ(r.text(0, 2), "on_this_day");
  EXPECT_TRUE(r.boolean(0, 3));
  EXPECT_EQ(r.text(1, 1), y2019);
  auto state = conn_->exec(
      R"(SELECT value->>'lastOnThisDayDate' FROM system_metadata WHERE key = 'memories-state')");
  ASSERT_EQ(state.rows(), 1);
  EXPECT_FALSE(state.text(0, 0).empty());
  EXPECT_EQ(memory_generate(*conn_), 0) << "days already done are not generated again";
  EXPECT_EQ(count("SELECT count(*) FROM memory"), 2);
}

}  // namespace
}  // namespace keepsake::jobs
