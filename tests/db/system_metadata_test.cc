#include "db/system_metadata.h"

#include <gtest/gtest.h>

#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

class SystemMetadataTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->exec(R"(CREATE TABLE "system_metadata" ("key" character varying NOT NULL PRIMARY KEY,
                   "value" jsonb NOT NULL))");
  }
};

TEST_F(SystemMetadataTest, UpsertThenGet) {
  SystemMetadataRepository repo(*conn_);
  EXPECT_FALSE(repo.get(metadata_key::kMediaLocation).has_value());
  repo.upsert(metadata_key::kMediaLocation, {{"location", "/data"}});
  repo.upsert(metadata_key::kMediaLocation, {{"location", "/srv"}});
  auto v = repo.get(metadata_key::kMediaLocation);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ((*v)["location"], "/srv");
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM system_metadata").int64(0, 0), 1);
  repo.remove(metadata_key::kMediaLocation);
  EXPECT_FALSE(repo.get(metadata_key::kMediaLocation).has_value());
}

}  // namespace
}  // namespace keepsake::db
