// The release facts the verdict derives from migration names (spec §2.1: names start with a
// 13-digit millisecond timestamp; v2.7.5's last is 1775165531374 = 2026-04-02 UTC).
#include "migrations/schema_verdict.h"

#include <gtest/gtest.h>

#include "migrations/immich_migrations.h"

namespace keepsake::migrations {
namespace {

TEST(SchemaVerdictTest, ReleaseIsV275OnlyForExactlyItsMigrations) {
  auto names = immich_migration_names();
  EXPECT_EQ(release_of(schema::compare_migrations(names, names)), "v2.7.5");
  auto more = names;
  more.push_back("1776848612954-MigrateAlbumOwnerIdToAlbumUser");
  EXPECT_EQ(release_of(schema::compare_migrations(names, more)), std::nullopt);
  auto fewer = names;
  fewer.pop_back();
  EXPECT_EQ(release_of(schema::compare_migrations(names, fewer)), std::nullopt);
  EXPECT_EQ(release_of(schema::compare_migrations(names, {})), std::nullopt);
}

TEST(SchemaVerdictTest, ProbableReleaseComesFromTheNamesTimestamp) {
  // 1780000000000 ms = 2026-05-28 UTC, after 2026-04-02.
  EXPECT_EQ(probable_release("1780000000000-AddSomething"),
            "a release newer than v2.7.5 (migration dated 2026-05-28)");
  // 1775165531375 ms: one millisecond after v2.7.5's last migration, the same day.
  EXPECT_EQ(probable_release("1775165531375-Next"), "a release newer than v2.7.5 (migration dated 2026-04-02)");
  // 1700000000000 ms = 2023-11-14 UTC.
  EXPECT_EQ(probable_release("1700000000000-Old"),
            "no release up to v2.7.5: a newer release or a development build (migration dated "
            "2023-11-14, before v2.7.5's last migration)");
  EXPECT_EQ(probable_release("AddSomething"), "not an Immich migration (its name does not start with a timestamp)");
  EXPECT_EQ(probable_release("123-Short"), "not an Immich migration (its name does not start with a timestamp)");
}

}  // namespace
}  // namespace keepsake::migrations
