// The admin console's colours meet WCAG AA: its CSS custom properties (the light scheme, and the
// dark one over it) are read from the page as served, and every pair the page draws text with has
// a contrast ratio of at least 4.5:1; the focus ring and the timeline's marks (not text) 3:1.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <string>

#include "http/web_page.h"

namespace keepsake::http {
namespace {

using Palette = std::map<std::string, std::string>;

// The `--name: #hex;` declarations of the first `:root { ... }` at or after `from`.
Palette custom_properties(const std::string& css, size_t from) {
  size_t open = css.find(":root {", from);
  size_t close = css.find('}', open);
  std::string block = css.substr(open, close - open);
  Palette out;
  std::regex property(R"((--[a-z-]+):\s*(#[0-9a-fA-F]{3,8}))");
  for (std::sregex_iterator it(block.begin(), block.end(), property), end; it != end; ++it) out[(*it)[1]] = (*it)[2];
  return out;
}

double luminance(std::string hex) {
  hex = hex.substr(1);
  if (hex.size() == 3) hex = {hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]};
  double channel[3];
  for (int i = 0; i < 3; ++i) {
    double c = std::stoi(hex.substr(2 * i, 2), nullptr, 16) / 255.0;
    channel[i] = c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  }
  return 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2];
}

double contrast(const std::string& a, const std::string& b) {
  double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

struct Pair {
  const char* fg;
  const char* bg;
  double minimum;
};

constexpr Pair kPairs[] = {
    {"--fg", "--bg", 4.5},        {"--fg", "--soft", 4.5},        {"--accent", "--bg", 4.5},
    {"--danger", "--bg", 4.5},    {"--ok", "--bg", 4.5},          {"--warn", "--bg", 4.5},
    {"--muted", "--bg", 4.5},     {"--muted", "--soft", 4.5},     {"--on-accent", "--accent", 4.5},
    {"--on-accent", "--danger", 4.5}, {"--focus", "--bg", 3},     {"--mark-backup", "--soft", 3},
    {"--mark-check", "--soft", 3}, {"--mark-copy", "--soft", 3},  {"--mark-failed", "--soft", 3},
};

TEST(ConsoleContrastTest, TextAndMarksMeetWcagAaInBothSchemes) {
  const std::string& page = console_page_html();
  Palette light = custom_properties(page, 0);
  Palette dark = light;
  for (auto& [name, value] : custom_properties(page, page.find("prefers-color-scheme: dark"))) dark[name] = value;
  ASSERT_GE(light.size(), 10u) << "the page's :root colours were not found";
  for (const auto& [scheme, palette] : {std::pair{"light", light}, std::pair{"dark", dark}}) {
    for (const auto& p : kPairs) {
      ASSERT_TRUE(palette.count(p.fg) && palette.count(p.bg)) << scheme << ": " << p.fg << " or " << p.bg;
      EXPECT_GE(contrast(palette.at(p.fg), palette.at(p.bg)), p.minimum)
          << scheme << ": " << p.fg << " " << palette.at(p.fg) << " on " << p.bg << " " << palette.at(p.bg);
    }
  }
  EXPECT_NEAR(contrast("#777", "#fff"), 4.48, 0.01) << "the formula itself, against WebAIM's figure";
}

}  // namespace
}  // namespace keepsake::http
