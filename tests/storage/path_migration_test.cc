#include "storage/path_migration.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "common/error.h"
#include "db/system_metadata.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage {
namespace {

class PathMigrationTest : public testing::StorageDbTest {
 protected:
  // `n` assets under /old, each with a thumbnail and a preview.
  void seed(int n) {
    auto user = add_user("/old/profile/u/me.jpg");
    conn_->exec(R"(INSERT INTO asset ("ownerId", "originalPath")
                   SELECT $1, '/old/upload/u/' || i || '.jpg' FROM generate_series(1, $2::int) i)",
                {user, std::to_string(n)});
    conn_->exec(R"(INSERT INTO asset_file ("assetId", "type", "path")
                   SELECT id, t, replace("originalPath", '/old/upload/', '/old/thumbs/') || '.' || t
                   FROM asset, (VALUES ('thumbnail'), ('preview')) v(t))");
    add_person(user, "/old/thumbs/u/pp/pe/person.jpeg");
  }
  std::vector<std::string> json_record_modes_;
  int64_t under(const std::string& prefix) {
    return count(R"(SELECT (SELECT count(*) FROM asset WHERE "originalPath" LIKE ')" + prefix +
                 R"(%') + (SELECT count(*) FROM asset_file WHERE path LIKE ')" + prefix +
                 R"(%') + (SELECT count(*) FROM person WHERE "thumbnailPath" LIKE ')" + prefix +
                 R"(%') + (SELECT count(*) FROM "user" WHERE "profileImagePath" LIKE ')" +
                 prefix + "%')");
  }
};

TEST_F(PathMigrationTest, CountsPerColumnAndRewritesOnlyMatchingRows) {
  seed(5);
  auto user = add_user("");
  add_asset(user, "/older/upload/not-mine.jpg");
  add_asset(user, "/mnt/library/ext.jpg", true);
  auto counts = count_paths_under(*conn_, "/old/");
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0].column, "asset.originalPath");
  EXPECT_EQ(counts[0].rows, 5);
  EXPECT_EQ(counts[1].column, "asset_file.path");
  EXPECT_EQ(counts[1].rows, 10);
  EXPECT_EQ(counts[2].rows, 1);
  EXPECT_EQ(counts[3].column, "user.profileImagePath");
  EXPECT_EQ(counts[3].rows, 1);

  auto result = migrate_paths(*conn_, "/old/", "/new", {.batch_size = 2});
  EXPECT_EQ(result.total(), 17);
  EXPECT_EQ(under("/old/"), 0);
  EXPECT_EQ(under("/new/"), 17);
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset WHERE "originalPath" = '/older/upload/not-mine.jpg')"), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset WHERE "originalPath" = '/mnt/library/ext.jpg')"), 1);
  EXPECT_EQ(count(R"(SELECT count(*) FROM "user" WHERE "profileImagePath" = '')"), 1);
  EXPECT_FALSE(pending_path_migration(*conn_).has_value());
}

// Every row version of the four path tables: an UPDATE, even one that writes the same value,
// gives the row a new xmin and a new ctid, so equal snapshots mean no row was written.
std::string row_versions(db::Connection& conn) {
  std::string out;
  for (const char* t : {"asset", "asset_file", "person", "user"}) {
    out += conn.exec("SELECT coalesce(string_agg(id::text || '@' || xmin::text || ctid::text, ',' "
                     "ORDER BY id), '') FROM " + db::quote_ident(t))
               .text(0, 0) +
           ";";
  }
  return out;
}

int64_t updates_counted(db::Connection& conn) {
  conn.exec("SELECT pg_stat_force_next_flush()");
  conn.exec("SELECT pg_stat_clear_snapshot()");  // flushes the pending counters, drops the cache
  return conn.exec("SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables WHERE relname IN "
                   "('asset', 'asset_file', 'person', 'user')")
      .int64(0, 0);
}

TEST_F(PathMigrationTest, NoOpChangeWritesNothing) {
  seed(3);
  const std::string before = row_versions(*conn_);
  const int64_t updates_before = updates_counted(*conn_);
  auto result = migrate_paths(*conn_, "/elsewhere", "/new");
  EXPECT_EQ(result.total(), 0);
  EXPECT_EQ(under("/old/"), 11);
  EXPECT_EQ(row_versions(*conn_), before) << "a no-op change must not rewrite any row";
  EXPECT_EQ(updates_counted(*conn_), updates_before);

  // The same checks see a real change (so they can fail).
  migrate_paths(*conn_, "/old", "/new");
  EXPECT_NE(row_versions(*conn_), before);
  EXPECT_EQ(updates_counted(*conn_), updates_before + 11);
}

TEST_F(PathMigrationTest, NestedTargetIsRewrittenExactlyOnce) {
  seed(7);
  migrate_paths(*conn_, "/old", "/old/photos", {.batch_size = 3});
  EXPECT_EQ(under("/old/photos/upload/"), 7);
  EXPECT_EQ(under("/old/photos/photos/"), 0);
  EXPECT_EQ(under("/old/photos/"), 23);
}

TEST_F(PathMigrationTest, SavesMediaLocationOnlyWhenItWasTheSource) {
  seed(1);
  db::SystemMetadataRepository repo(*conn_);
  repo.upsert("MediaLocation", {{"location", "/old/"}});
  auto r = migrate_paths(*conn_, "/old", "/new");
  EXPECT_TRUE(r.media_location_saved);
  EXPECT_EQ((*repo.get("MediaLocation"))["location"], "/new");
  auto other = migrate_paths(*conn_, "/mnt/a", "/mnt/b");
  EXPECT_FALSE(other.media_location_saved);
  EXPECT_EQ((*repo.get("MediaLocation"))["location"], "/new");
}

TEST_F(PathMigrationTest, ReportsProgressPerBatch) {
  seed(4);
  std::vector<PathMigrationProgress> seen;
  migrate_paths(*conn_, "/old", "/new",
                {.batch_size = 3, .on_progress = [&](const auto& p) { seen.push_back(p); }});
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().column, "asset.originalPath");
  EXPECT_EQ(seen.front().column_done, 3);
  EXPECT_EQ(seen.front().total, 14);
  EXPECT_EQ(seen.back().done, 14);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i].done, seen[i - 1].done);
}

// Enough rows for the physical-order walk (many heap blocks, several batches per column).
TEST_F(PathMigrationTest, LargeColumnsAreWalkedInPhysicalOrderExactlyOnce) {
  seed(3000);
  ASSERT_GT(count("SELECT pg_relation_size('asset') / 8192"), 10);
  std::vector<PathMigrationProgress> seen;
  int batches = 0;
  json_record_modes_.clear();
  auto result = migrate_paths(
      *conn_, "/old", "/new",
      {.batch_size = 200,
       .on_progress = [&](const auto& p) { seen.push_back(p); },
       .before_commit = [&](const auto& p) {
         ++batches;
         if (p.column == "asset.originalPath" && json_record_modes_.empty()) {
           auto mode = conn_->exec(R"(SELECT value #>> '{columns,asset.originalPath,mode}'
                                        FROM system_metadata WHERE key = $1)",
                                   {kPathMigrationKey});
           // Same connection, inside the batch's transaction: its own progress record.
           json_record_modes_.push_back(mode.rows() ? mode.text(0, 0) : "");
         }
       }});
  EXPECT_EQ(result.total(), 3000 * 3 + 2);
  EXPECT_EQ(under("/new/"), 3000 * 3 + 2);
  EXPECT_EQ(under("/old/"), 0);
  EXPECT_EQ(count(R"(SELECT count(DISTINCT "originalPath") FROM asset
                     WHERE "originalPath" ~ '^/new/upload/u/[0-9]+\.jpg$')"), 3000);
  EXPECT_GT(batches, 3 * 4) << "several batches per large column";
  EXPECT_EQ(json_record_modes_, std::vector<std::string>{"blocks"});
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].done, seen[i - 1].done);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, 3000 * 3 + 2);
  EXPECT_FALSE(pending_path_migration(*conn_).has_value());
}

TEST_F(PathMigrationTest, PhysicalWalkAlsoRewritesRowsAddedBehindIt) {
  seed(3000);
  auto other = db::Connection::open(db_config_);
  int batches = 0;
  auto result = migrate_paths(
      *conn_, "/old", "/new",
      {.batch_size = 500, .before_commit = [&](const auto& p) {
         // A concurrent writer (its own connection, committed at once) adds a matching row and
         // moves one the walk has already passed, while the walk is half way through asset.
         if (p.column == "asset.originalPath" && ++batches == 3) {
           other->exec(R"(INSERT INTO asset ("ownerId", "originalPath")
                          SELECT "ownerId", '/old/upload/u/late.jpg' FROM asset LIMIT 1)");
           other->exec(R"(UPDATE asset SET "originalPath" = '/old/upload/u/moved.jpg'
                          WHERE id = (SELECT id FROM asset WHERE "originalPath" LIKE '/new/%'
                                      ORDER BY ctid LIMIT 1))");
         }
       }});
  EXPECT_EQ(under("/old/"), 0) << "the sweep after the walk finds what was added behind it";
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset WHERE "originalPath" IN
                     ('/new/upload/u/late.jpg', '/new/upload/u/moved.jpg'))"), 2);
  EXPECT_EQ(result.total(), 3000 * 3 + 2 + 2);
}

TEST_F(PathMigrationTest, BadInputIsRefusedAndChangesNothing) {
  seed(2);
  EXPECT_THROW(migrate_paths(*conn_, "", "/new"), Error);
  EXPECT_THROW(migrate_paths(*conn_, "/old", "/new", {.batch_size = 0}), Error);
  EXPECT_EQ(under("/old/"), 8);
}

// A child process migrates with small batches and is killed (SIGKILL) inside its sixth batch's
// transaction; the parent resumes and must end with every path rewritten exactly once.
void kill_midway(const DatabaseConfig& config, int kill_in_batch) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto conn = db::Connection::open(config);
      int batches = 0;
      PathMigrationOptions o{.batch_size = 4, .before_commit = [&](const auto&) {
                               if (++batches == kill_in_batch) raise(SIGKILL);
                             }};
      migrate_paths(*conn, "/old", "/old/moved", o);
    } catch (...) {
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child was meant to die mid-migration";
}

TEST_F(PathMigrationTest, KilledMigrationResumesAndEndsCorrect) {
  seed(10);
  db::SystemMetadataRepository(*conn_).upsert("MediaLocation", {{"location", "/old"}});
  kill_midway(db_config_, 6);
  auto pending = pending_path_migration(*conn_);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->from, "/old");
  EXPECT_EQ(pending->to, "/old/moved");
  EXPECT_EQ(under("/old/moved/"), 14) << "all 10 assets and one batch of 4 files committed";

  EXPECT_THROW(migrate_paths(*conn_, "/old", "/elsewhere"), Error);
  auto result = migrate_paths(*conn_, "/old", "/old/moved", {.batch_size = 4});
  EXPECT_TRUE(result.resumed);
  EXPECT_EQ(result.total(), 32 - 14);
  EXPECT_EQ(under("/old/moved/"), 32);
  EXPECT_EQ(under("/old/moved/moved/"), 0);
  EXPECT_EQ(count(R"(SELECT count(DISTINCT "originalPath") FROM asset
                     WHERE "originalPath" ~ '^/old/moved/upload/u/[0-9]+\.jpg$')"), 10);
  EXPECT_FALSE(pending_path_migration(*conn_).has_value());
  EXPECT_EQ((*db::SystemMetadataRepository(*conn_).get("MediaLocation"))["location"],
            "/old/moved");
}

}  // namespace
}  // namespace keepsake::storage
