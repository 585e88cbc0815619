#include "config/postgres_url.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace keepsake {
namespace {

std::string error_of(const std::string& url) {
  try {
    split_postgres_url(url);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PostgresUrlTest, SplitsEveryPart) {
  PostgresUrlParts p = split_postgres_url("postgresql://al%40ice:pa%3Ass@db.lan:6543/my%20photos?sslmode=require&application_name=a+b");
  EXPECT_EQ(p.user, "al@ice");
  EXPECT_EQ(p.password, "pa:ss");
  EXPECT_EQ(p.host, "db.lan");
  EXPECT_EQ(p.port, "6543");
  EXPECT_EQ(p.dbname, "my photos");
  ASSERT_EQ(p.query.size(), 2u);
  EXPECT_EQ(p.query[1], (std::pair<std::string, std::string>{"application_name", "a b"}));
}

TEST(PostgresUrlTest, ThePasswordMayHoldColonsAndAts) {
  PostgresUrlParts p = split_postgres_url("postgres://u:a:b@c@h/d");
  EXPECT_EQ(p.user, "u");
  EXPECT_EQ(p.password, "a:b@c");
  EXPECT_EQ(p.host, "h");
}

TEST(PostgresUrlTest, ReadsIpv6AndSocketHostsAndDropsTheFragment) {
  PostgresUrlParts v6 = split_postgres_url("postgresql://u@[::1]:5433/d#ignored");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, "5433");
  EXPECT_EQ(v6.dbname, "d");
  EXPECT_EQ(split_postgres_url("postgresql://u@%2Frun%2Fpg/d").host, "/run/pg");
  PostgresUrlParts bare = split_postgres_url("postgresql://");
  EXPECT_EQ(bare.host, "");
  EXPECT_EQ(bare.dbname, "");
}

TEST(PostgresUrlTest, MalformedPartsAreNamedNeverQuoted) {
  EXPECT_EQ(error_of("postgresql://u:se%zzcret@h/d"), "its password has a '%' that is not followed by two hexadecimal digits");
  EXPECT_EQ(error_of("postgresql://u@h/se%4"), "its database name has a '%' that is not followed by two hexadecimal digits");
  EXPECT_EQ(error_of("postgresql://u@[::1/d"), "its IPv6 host has no closing ']'");
  EXPECT_EQ(error_of("postgresql://u@[::1]x/d"), "its IPv6 host is followed by something other than ':<port>'");
  EXPECT_EQ(error_of("postgresql://u@h/d?a=1&&secret"), "its query parameter #3 has no '=' (write key=value)");
  EXPECT_EQ(error_of("localhost:5432"), "it is not a URL (no \"://\")");
}

}  // namespace
}  // namespace keepsake
