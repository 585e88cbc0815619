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

// Inserts one row per age into an audit table, filling each NOT NULL column that has no default
// from the catalog (so the test follows the schema instead of copying each table's columns); a
// column with a foreign key gets the id of an existing row of the referenced table.
void insert_audit_rows(db::Connection& conn, const std::string& table,
                       const std::vector<std::string>& ages) {
  auto cols = conn.exec(R"(SELECT c.column_name, c.data_type, c.udt_name,
                                  (SELECT ref.relname FROM pg_constraint k
                                     JOIN pg_class ref ON ref.oid = k.confrelid
                                     JOIN pg_attribute a ON a.attrelid = k.conrelid
                                                        AND a.attnum = k.conkey[1]
                                    WHERE k.contype = 'f' AND k.conrelid = to_regclass(
                                            'public.' || quote_ident(c.table_name))
                                      AND a.attname = c.column_name) AS referenced
                             FROM information_schema.columns c
                            WHERE c.table_schema = 'public' AND c.table_name = $1
                              AND c.is_nullable = 'NO' AND c.column_default IS NULL
                              AND c.column_name <> 'deletedAt'
                            ORDER BY c.ordinal_position)",
                        {table});
  for (const auto& age : ages) {
    std::string names = "\"deletedAt\"", values = "now() - $1::interval";
    for (int i = 0; i < cols.rows(); ++i) {
      std::string type = cols.text(i, 1), udt = cols.text(i, 2);
      std::string v = !cols.is_null(i, 3)
                          ? "(SELECT id FROM " + db::quote_ident(cols.text(i, 3)) + " LIMIT 1)"
                      : udt == "uuid"                                ? "gen_random_uuid()"
                      : type.find("timestamp") != std::string::npos ? "now()"
                      : type == "integer" || type == "bigint"      ? "1"
                      : type == "boolean"                          ? "false"
                      : type == "jsonb"                            ? "'{}'::jsonb"
                                                                   : "'x'";
      names += ", " + db::quote_ident(cols.text(i, 0));
      values += ", " + v;
    }
    conn.exec("INSERT INTO " + db::quote_ident(table) + " (" + names + ") VALUES (" + values + ")",
              {age}, "seed " + table);
  }
}

TEST_F(CleanupJobsTest, AuditTableCleanupKeeps31DaysInEveryAuditTable) {
  // Every audit table of the v2.7.5 schema (the *_audit tables; `audit` is AuditLogCleanup's).
  auto tables = conn_->exec(R"(SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                                 AND tablename LIKE '%\_audit' ORDER BY 1)");
  ASSERT_EQ(tables.rows(), 14);
  std::string owner = user("a@example.com");
  // Parents for the audit tables with a foreign key (album_asset_audit, memory_asset_audit).
  conn_->exec(R"(INSERT INTO album ("ownerId") VALUES ($1))", {owner});
  conn_->exec(R"(INSERT INTO memory ("ownerId", type, data, "memoryAt")
                 VALUES ($1, 'on_this_day', '{"year": 2020}', now()))",
              {owner});
  for (int i = 0; i < tables.rows(); ++i) {
    insert_audit_rows(*conn_, tables.text(i, 0), {"32 days", "40 days", "30 days", "1 hour"});
  }
  conn_->exec(R"(INSERT INTO audit ("entityType", "entityId", action, "ownerId", "createdAt")
                 VALUES ('ASSET', gen_random_uuid(), 'DELETE', $1, now() - interval '40 days'))",
              {owner});
  EXPECT_EQ(audit_table_cleanup(*conn_), 14 * 2);
  for (int i = 0; i < tables.rows(); ++i) {
    const std::string t = db::quote_ident(tables.text(i, 0));
    EXPECT_EQ(count("SELECT count(*) FROM " + t), 2) << t;
    EXPECT_EQ(count("SELECT count(*) FROM " + t + R"( WHERE "deletedAt" < now() - interval '31 days')"), 0)
        << t;
  }
  EXPECT_EQ(count("SELECT count(*) FROM audit"), 1) << "the audit table is not an audit table's";
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
  // A fixed "today" (the job's clock is a parameter here), so no calendar day can break it.
  const std::string today = "2026-06-15";
  std::string owner = user("a@example.com");
  auto photo = [&](const std::string& year, bool with_preview) {
    std::string id = asset(owner, media_ + "/upload/" + year + ".jpg", "", "timeline",
                           year + "-06-15T10:00:00Z");
    conn_->exec(R"(INSERT INTO asset_job_status ("assetId") VALUES ($1))", {id});
    if (with_preview) asset_file(id, "preview", media_ + "/thumbs/p" + year + ".jpeg");
    return id;
  };
  std::string y2019 = photo("2019", true);
  std::string y2018 = photo("2018", true);
  photo("2017", false);  // no preview: never in a memory
  photo("2026", true);   // this year: never a memory

  EXPECT_EQ(memory_generate_on(*conn_, today), 2);
  auto r = conn_->exec(R"(SELECT (m.data->>'year')::int, ma."assetId", m.type,
                                 m."showAt" = timestamptz '2026-06-15T00:00:00Z',
                                 m."memoryAt" = timestamptz '2018-06-15T00:00:00Z'
                            FROM memory m JOIN memory_asset ma ON ma."memoriesId" = m.id
                           ORDER BY 1)");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.int64(0, 0), 2018);
  EXPECT_EQ(r.text(0, 1), y2018);
  EXPECT_EQ(r.text(0, 2), "on_this_day");
  EXPECT_TRUE(r.boolean(0, 3));
  EXPECT_TRUE(r.boolean(0, 4));
  EXPECT_EQ(r.text(1, 1), y2019);
  auto state = conn_->exec(
      R"(SELECT value->>'lastOnThisDayDate' FROM system_metadata WHERE key = 'memories-state')");
  ASSERT_EQ(state.rows(), 1);
  EXPECT_EQ(state.text(0, 0), "2026-06-18T00:00:00.000Z") << "days today-3 .. today+3 are done";
  EXPECT_EQ(memory_generate_on(*conn_, today), 0) << "days already done are not generated again";
  EXPECT_EQ(count("SELECT count(*) FROM memory"), 2);
}

TEST_F(CleanupJobsTest, MemoryGenerateUsesTheServerClockByDefault) {
  std::string owner = user("a@example.com");
  // Three years back from today (UTC); on February 29 PostgreSQL gives February 28, which is
  // still one of the seven days the job covers.
  std::string taken =
      conn_->exec("SELECT to_char((now() AT TIME ZONE 'UTC') - interval '3 years', 'YYYY-MM-DD') "
                  "|| 'T10:00:00Z'")
          .text(0, 0);
  std::string id = asset(owner, media_ + "/upload/old.jpg", "", "timeline", taken);
  conn_->exec(R"(INSERT INTO asset_job_status ("assetId") VALUES ($1))", {id});
  asset_file(id, "preview", media_ + "/thumbs/old.jpeg");
  EXPECT_EQ(memory_generate(*conn_), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM memory_asset WHERE "assetId" = $1)", {id}), 1);
}

// docs/JOBS.md: days are matched by month and day, so February 29 works — photos of earlier
// February 29ths get their memory on February 29 of a leap year, and a non-leap year (whose
// make_date(year, 2, 29) fails in Immich and aborts the day) neither fails nor stops early.
TEST_F(CleanupJobsTest, MemoryGenerateHandlesFebruary29) {
  std::string owner = user("a@example.com");
  auto photo = [&](const std::string& date) {
    std::string id = asset(owner, media_ + "/upload/" + date + ".jpg", "", "timeline",
                           date + "T10:00:00Z");
    conn_->exec(R"(INSERT INTO asset_job_status ("assetId") VALUES ($1))", {id});
    asset_file(id, "preview", media_ + "/thumbs/" + date + ".jpeg");
    return id;
  };
  std::string leap2024 = photo("2024-02-29");
  std::string leap2020 = photo("2020-02-29");
  std::string feb28 = photo("2023-02-28");
  std::string mar01 = photo("2025-03-01");

  // 2027 is not a leap year: its days Feb 26 .. Mar 4 hold no Feb 29; every day still runs.
  EXPECT_NO_THROW(memory_generate_on(*conn_, "2027-03-01"));
  auto shown = [&](const std::string& asset_id) {
    auto r = conn_->exec(R"(SELECT to_char(m."showAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                   (m.data->>'year')::int
                              FROM memory m JOIN memory_asset ma ON ma."memoriesId" = m.id
                             WHERE ma."assetId" = $1 ORDER BY 1)",
                         {asset_id});
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0) + "/" + r.text(i, 1));
    return out;
  };
  EXPECT_EQ(shown(feb28), std::vector<std::string>{"2027-02-28/2023"});
  EXPECT_EQ(shown(mar01), std::vector<std::string>{"2027-03-01/2025"});
  EXPECT_TRUE(shown(leap2024).empty()) << "no February 29 in 2027";
  auto state = [&] {
    return conn_->exec(R"(SELECT value->>'lastOnThisDayDate' FROM system_metadata
                           WHERE key = 'memories-state')")
        .text(0, 0);
  };
  EXPECT_EQ(state(), "2027-03-04T00:00:00.000Z") << "the job went past the end of February";

  // 2028 is a leap year: February 29 (today - 3 = Feb 26 .. Mar 3) shows both leap-day photos,
  // each in the memory of its own year, with memoryAt on that year's February 29.
  EXPECT_NO_THROW(memory_generate_on(*conn_, "2028-02-29"));
  EXPECT_EQ(shown(leap2024), std::vector<std::string>{"2028-02-29/2024"});
  EXPECT_EQ(shown(leap2020), std::vector<std::string>{"2028-02-29/2020"});
  EXPECT_EQ(count(R"(SELECT count(*) FROM memory
                      WHERE "memoryAt" IN (timestamptz '2024-02-29T00:00:00Z',
                                           timestamptz '2020-02-29T00:00:00Z'))"),
            2);
  EXPECT_EQ(shown(feb28), (std::vector<std::string>{"2027-02-28/2023", "2028-02-28/2023"}));
  EXPECT_EQ(state(), "2028-03-03T00:00:00.000Z");
}

}  // namespace
}  // namespace keepsake::jobs
