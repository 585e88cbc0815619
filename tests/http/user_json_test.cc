// Immich's avatarColor for a NULL user.avatarColor: the sum of the e-mail's Unicode code points
// modulo the 10 UserAvatarColor values (primary, pink, red, yellow, blue, green, purple, orange,
// gray, amber, in that order). Every expected value below is worked out by hand from that rule.
#include "http/user_json.h"

#include <gtest/gtest.h>

namespace keepsake::http {
namespace {

TEST(DefaultAvatarColorTest, SumOfCodePointsModuloTheEnumIndexesItInOrder) {
  // a 97 + @ 64 + b 98 + . 46 + c 99 = 404; 404 % 10 = 4 -> blue
  EXPECT_EQ(default_avatar_color("a@b.c"), "blue");
  // admin 521 + @ 64 + example 748 + . 46 + com 319 = 1698; % 10 = 8 -> gray
  EXPECT_EQ(default_avatar_color("admin@example.com"), "gray");
  // u 117 + @ 64 + example 748 + . 46 + com 319 = 1294; % 10 = 4 -> blue
  EXPECT_EQ(default_avatar_color("u@example.com"), "blue");
  // "" = 0 -> primary; "(" = 40 -> primary; ")" = 41 -> pink; "1" = 49 -> amber
  EXPECT_EQ(default_avatar_color(""), "primary");
  EXPECT_EQ(default_avatar_color("("), "primary");
  EXPECT_EQ(default_avatar_color(")"), "pink");
  EXPECT_EQ(default_avatar_color("1"), "amber");
}

TEST(DefaultAvatarColorTest, CountsCodePointsNotUtf8BytesNorUtf16Units) {
  // é is U+00E9 = 233: 233 + @ 64 + x 120 + . 46 + y 121 = 584 -> 4 blue
  // (its UTF-8 bytes 0xC3 + 0xA9 = 364 would give 715 -> 5 green).
  EXPECT_EQ(default_avatar_color("\xC3\xA9@x.y"), "blue");
  // 😀 is U+1F600 = 128512: 128512 + 351 = 128863 -> 3 yellow
  // (its UTF-16 units 0xD83D + 0xDE00 = 112189 would give 112540 -> 0 primary).
  EXPECT_EQ(default_avatar_color("\xF0\x9F\x98\x80@x.y"), "yellow");
}

}  // namespace
}  // namespace keepsake::http
