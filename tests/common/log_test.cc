#include "common/log.h"

#include <gtest/gtest.h>

namespace keepsake {
namespace {

TEST(LogTest, RedactsPasswordsInUrlsAndKeywords) {
  EXPECT_EQ(log::redact_url("postgresql://bob:pa55@db:5432/x"), "postgresql://bob:***@db:5432/x");
  EXPECT_EQ(log::redact_url("host=db password=pa55 user=bob"), "host=db password=*** user=bob");
  EXPECT_EQ(log::redact_url("no secrets here"), "no secrets here");
}

}  // namespace
}  // namespace keepsake
