#include "migrations/keepsake_migrations.h"

#include <gtest/gtest.h>

#include "harness/test_cluster.h"

KEEPSAKE_MIGRATION(test0000, "0000-test-probe",
                   "CREATE TABLE keepsake.test_probe (id int PRIMARY KEY);");

namespace keepsake::migrations {
namespace {

class KeepsakeMigrationsTest : public keepsake::testing::DatabaseTest {};

TEST_F(KeepsakeMigrationsTest, AppliesOnceInTheKeepsakeSchemaOnly) {
  auto first = apply_keepsake_migrations(*conn_);
  EXPECT_NE(std::find(first.begin(), first.end(), "0000-test-probe"), first.end());
  EXPECT_TRUE(apply_keepsake_migrations(*conn_).empty());
  EXPECT_EQ(conn_->exec("SELECT to_regclass('keepsake.test_probe') IS NOT NULL").boolean(0, 0), true);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").int64(0, 0), 0);
}

TEST(KeepsakeMigrationsRegistryTest, SortedByName) {
  auto all = keepsake_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; }));
}

}  // namespace
}  // namespace keepsake::migrations
