// The maintenance JWT against vectors computed independently (Python's hmac over the same
// header and claims jose 5 writes), and the ways a token must be refused.
#include "maintenance/maintenance_token.h"

#include <gtest/gtest.h>

namespace keepsake::maintenance {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

std::string secret() {
  std::string s;
  for (int i = 0; i < 64; ++i) s += "ab";
  return s;
}

const system_clock::time_point kIat = system_clock::from_time_t(1764547200);

TEST(MaintenanceTokenTest, SignsExactlyAsJoseDoes) {
  EXPECT_EQ(sign_maintenance_token(secret(), "admin", kIat),
            "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwiaWF0IjoxNzY0NTQ3MjAwLCJleHAiOjE3NjQ1NjE2MDB9."
            "MfH31HTv7EzI9PQBsVyxcy3_vvaAfvJnIaKSC42rUG8");
}

TEST(MaintenanceTokenTest, VerifiesOtherWritersAndRefusesBadTokens) {
  std::string other =
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NjQ1NjE2MDAsImlhdCI6MTc2NDU0NzIwMCwidXNlcm5hbWUiOiJjbGktYWRtaW4ifQ."
      "qJ4kdxhRJGttHwVUyacB6ynzjKjskkvOPhmsc7-ZD94";
  EXPECT_EQ(verify_maintenance_token(secret(), other, kIat + seconds(10)), "cli-admin");
  std::string mine = sign_maintenance_token(secret(), "admin", kIat);
  EXPECT_EQ(verify_maintenance_token(secret(), mine, kIat + seconds(4 * 3600 - 1)), "admin");
  EXPECT_FALSE(verify_maintenance_token(secret(), mine, kIat + seconds(4 * 3600)));  // expired
  EXPECT_FALSE(verify_maintenance_token(std::string(128, 'c'), mine, kIat));         // another secret
  std::string tampered = mine;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_FALSE(verify_maintenance_token(secret(), tampered, kIat));
  EXPECT_FALSE(verify_maintenance_token(
      secret(), "eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImFkbWluIiwiaWF0IjoxNzY0NTQ3MjAwLCJleHAiOjE3NjQ1NjE2MDB9.", kIat));
  for (const char* junk : {"", ".", "..", "a.b.c", "not a token"}) {
    EXPECT_FALSE(verify_maintenance_token(secret(), junk, kIat)) << junk;
  }
  EXPECT_FALSE(verify_maintenance_token("", mine, kIat));
}

// Found by the maintenance_token fuzz target (fuzz/corpus/maintenance_token/crash-invalid-utf8-username):
// a username that is not UTF-8 made signing throw nlohmann's type_error instead of signing it.
TEST(MaintenanceTokenTest, SignsAUsernameThatIsNotUtf8) {
  std::string token;
  ASSERT_NO_THROW(token = sign_maintenance_token(secret(), "\xc3" "c", kIat));
  EXPECT_EQ(verify_maintenance_token(secret(), token, kIat + seconds(1)), "\xef\xbf\xbd" "c");
}

// Found by the maintenance_token fuzz target (fuzz/corpus/maintenance_token/crash-long-control-username):
// a 568-byte username of control characters (each written \u0000 in the JSON) made a token over
// 4096 bytes, which verification refuses: the user could never log in with it.
TEST(MaintenanceTokenTest, ALongUsernameIsCutSoTheTokenVerifiesAndFitsACookie) {
  for (const std::string& name : {std::string(568, '\0'), std::string(5000, 'a'), [] {
         std::string e;
         for (int i = 0; i < 300; ++i) e += "\xc3\xa9";  // é: 2 bytes each
         return e;
       }()}) {
    auto token = sign_maintenance_token(secret(), name, kIat);
    EXPECT_LE(token.size(), 4096u);
    auto back = verify_maintenance_token(secret(), token, kIat + seconds(1));
    ASSERT_TRUE(back) << name.size();
    EXPECT_EQ(*back, shown_username(name));
    EXPECT_LE(back->size(), kTokenUsernameMaxBytes);
    EXPECT_EQ(name.compare(0, back->size(), *back), 0) << "a prefix of the name";
  }
  EXPECT_EQ(shown_username(std::string(255, 'a') + "\xc3\xa9" + "\xc3\xa9"), std::string(255, 'a'))
      << "never inside a character (the é at bytes 255-256 goes whole)";
  EXPECT_EQ(shown_username("admin"), "admin");
}

TEST(MaintenanceTokenTest, Base64UrlRoundTrips) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "\xff\xfe\x00 binary"}) {
    EXPECT_EQ(from_base64url(base64url(s)), s);
  }
  EXPECT_FALSE(from_base64url("a"));
  EXPECT_FALSE(from_base64url("ab+c"));
}

}  // namespace
}  // namespace keepsake::maintenance
