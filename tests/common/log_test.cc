#include "common/log.h"

#include <gtest/gtest.h>

namespace keepsake {
namespace {

TEST(LogTest, RedactsPasswordsInUrlsAndKeywords) {
  EXPECT_EQ(log::redact_url("postgresql://bob:pa55@db:5432/x"), "postgresql://bob:***@db:5432/x");
  EXPECT_EQ(log::redact_url("host=db password=pa55 user=bob"), "host=db password=*** user=bob");
  EXPECT_EQ(log::redact_url("no secrets here"), "no secrets here");
  // Found by the db_url fuzz target: a mistyped scheme or a password with a space was shown as is.
  EXPECT_EQ(log::redact_url("pos://user:secretpw@host:5432/immich"), "pos://user:***@host:5432/immich");
  EXPECT_EQ(log::redact_url("PostgreSQL://u:my secret@h/db"), "PostgreSQL://u:***@h/db");
  EXPECT_EQ(log::redact_url("pos;://us er:secretpw@host"), "pos;://us er:***@host");
  EXPECT_EQ(log::redact_url("postgresql://@u:se@cret@host/db"), "postgresql://@u:***@host/db");
  EXPECT_EQ(log::redact_url("po2://u\nser:secret@h"), "po2://u\nser:***@h");
}

}  // namespace
}  // namespace keepsake
