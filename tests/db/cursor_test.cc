#include "db/cursor.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

using keepsake::testing::DatabaseTest;

class CursorTest : public DatabaseTest {
 protected:
  std::vector<int> batch_sizes(const std::string& upto, int batch_rows, int64_t* sum = nullptr) {
    std::vector<int> sizes;
    for_each_batch(*conn_, "test_rows", "SELECT v FROM generate_series(1, $1::int) AS v",
                   {upto}, batch_rows, "read test rows", [&](const Result& r) {
                     sizes.push_back(r.rows());
                     for (int i = 0; sum && i < r.rows(); ++i) *sum += r.int64(i, 0);
                   });
    return sizes;
  }
};

TEST_F(CursorTest, HandsOverEveryRowInBatchesAndClosesTheCursor) {
  Transaction tx(*conn_);
  int64_t sum = 0;
  EXPECT_EQ(batch_sizes("2500", 1000, &sum), (std::vector<int>{1000, 1000, 500}));
  EXPECT_EQ(sum, 2500LL * 2501 / 2);
  // The same cursor name again in the same transaction: the first one was closed.
  EXPECT_EQ(batch_sizes("2000", 1000), (std::vector<int>{1000, 1000}));
  EXPECT_TRUE(batch_sizes("0", 1000).empty());
  tx.commit();
}

TEST_F(CursorTest, OutsideATransactionPostgresRefusesTheCursor) {
  try {
    batch_sizes("10", 5);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "25P01");
    EXPECT_NE(std::string(e.what()).find("cannot read test rows"), std::string::npos);
  }
}

}  // namespace
}  // namespace keepsake::db
