#include "db/index_build_memory.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

TEST(IndexBuildMemory, AQuarterOfTheMachineOverTheConnectionsBetween64MBAnd2GB) {
  EXPECT_EQ(default_maintenance_work_mem(24ULL << 30, 2), "2048MB");
  EXPECT_EQ(default_maintenance_work_mem(2ULL << 30, 2), "256MB");
  EXPECT_EQ(default_maintenance_work_mem(128ULL << 20, 4), "64MB");
}

class IndexBuildMemoryTest : public keepsake::testing::DatabaseTest {};

TEST_F(IndexBuildMemoryTest, TheSessionGetsTheBuildsMemoryAndItsOwnBackAfterwards) {
  conn_->exec("SET maintenance_work_mem = '80MB'");
  {
    SessionMaintenanceMemory build(*conn_, "300MB");
    EXPECT_EQ(conn_->exec("SHOW maintenance_work_mem").text(0, 0), "300MB");
  }
  EXPECT_EQ(conn_->exec("SHOW maintenance_work_mem").text(0, 0), "80MB");
  EXPECT_THROW(SessionMaintenanceMemory(*conn_, "lots"), keepsake::Error);
  EXPECT_EQ(conn_->exec("SHOW maintenance_work_mem").text(0, 0), "80MB");
}

}  // namespace
}  // namespace keepsake::db
