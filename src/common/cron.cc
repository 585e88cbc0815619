#include "common/cron.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <sstream>
#include <vector>

#include "common/error.h"

namespace keepsake {
namespace {

struct FieldSpec {
  const char* name;
  int min, max;
  const std::map<std::string, int>* names;
};

const std::map<std::string, int> kMonthNames = {{"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4},
                                                {"may", 5}, {"jun", 6}, {"jul", 7}, {"aug", 8},
                                                {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
const std::map<std::string, int> kDayNames = {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                              {"thu", 4}, {"fri", 5}, {"sat", 6}};

const FieldSpec kSecond{"second", 0, 59, nullptr};
const FieldSpec kMinute{"minute", 0, 59, nullptr};
const FieldSpec kHour{"hour", 0, 23, nullptr};
const FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr};
const FieldSpec kMonth{"month", 1, 12, &kMonthNames};
const FieldSpec kDayOfWeek{"day-of-week", 0, 7, &kDayNames};

[[noreturn]] void bad_field(const std::string& expr, const FieldSpec& f, const std::string& value,
                            const std::string& why) {
  throw Error(ErrorKind::kInvalidArgument,
              "Invalid cron expression '" + expr + "': " + f.name + " field '" + value + "' " + why,
              std::string("the ") + f.name + " field accepts " + std::to_string(f.min) + "-" +
                  std::to_string(f.max) + ", '*', lists (a,b), ranges (a-b) and steps (*/n, a-b/n)");
}

int parse_value(const std::string& expr, const FieldSpec& f, const std::string& field,
                const std::string& token) {
  std::string lower = token;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (f.names) {
    if (auto it = f.names->find(lower); it != f.names->end()) return it->second;
  }
  if (token.empty() || token.size() > 4 ||
      !std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isdigit(c); })) {
    bad_field(expr, f, field, "is not a number" + std::string(f.names ? " or a name" : ""));
  }
  int v = std::stoi(token);
  if (v < f.min || v > f.max) bad_field(expr, f, field, "is out of range");
  return v;
}

// Parses one field into a bit set indexed by value; returns whether it was restricted (not `*`).
template <size_t N>
bool parse_field(const std::string& expr, const FieldSpec& f, const std::string& field,
                 std::bitset<N>& bits) {
  bool restricted = true;
  std::stringstream parts(field);
  std::string part;
  int count = 0;
  while (std::getline(parts, part, ',')) {
    ++count;
    if (part.empty()) bad_field(expr, f, field, "has an empty list item");
    int step = 1;
    bool has_step = false;
    if (auto slash = part.find('/'); slash != std::string::npos) {
      std::string step_text = part.substr(slash + 1);
      if (step_text.empty() || step_text.size() > 4 ||
          !std::all_of(step_text.begin(), step_text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        bad_field(expr, f, field, "has a step that is not a number");
      }
      step = std::stoi(step_text);
      if (step < 1 || step > f.max) bad_field(expr, f, field, "has a step out of range");
      part = part.substr(0, slash);
      has_step = true;
    }
    int lo, hi;
    if (part == "*" || part == "?") {
      lo = f.min;
      hi = f.max == 7 ? 6 : f.max;
      if (step == 1 && count == 1 && field.find(',') == std::string::npos) restricted = false;
    } else if (auto dash = part.find('-'); dash != std::string::npos) {
      lo = parse_value(expr, f, field, part.substr(0, dash));
      hi = parse_value(expr, f, field, part.substr(dash + 1));
      if (lo > hi) bad_field(expr, f, field, "has a range whose start is after its end");
    } else {
      lo = parse_value(expr, f, field, part);
      hi = has_step ? (f.max == 7 ? 6 : f.max) : lo;
    }
    for (int v = lo; v <= hi; v += step) bits.set(f.max == 7 && v == 7 ? 0 : v);
  }
  if (count == 0) bad_field(expr, f, field, "is empty");
  return restricted;
}

std::vector<std::string> split_fields(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> fields;
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;
}

std::string expand_shortcut(const std::string& text) {
  static const std::map<std::string, std::string> kShortcuts = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  auto it = kShortcuts.find(text);
  return it == kShortcuts.end() ? text : it->second;
}

int days_in_month_max(int month) {
  static const int kMax[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kMax[month];
}

}  // namespace

CronExpression CronExpression::parse(const std::string& input) {
  CronExpression c;
  c.text_ = input;
  auto fields = split_fields(expand_shortcut(input));
  if (fields.size() != 5 && fields.size() != 6) {
    throw Error(ErrorKind::kInvalidArgument,
                "Invalid cron expression '" + input + "': expected 5 fields (minute hour "
                "day-of-month month day-of-week) or 6 (with seconds first), got " +
                    std::to_string(fields.size()));
  }
  size_t i = 0;
  if (fields.size() == 6) {
    parse_field(input, kSecond, fields[i++], c.seconds_);
  } else {
    c.seconds_.set(0);
  }
  parse_field(input, kMinute, fields[i++], c.minutes_);
  parse_field(input, kHour, fields[i++], c.hours_);
  c.days_restricted_ = parse_field(input, kDayOfMonth, fields[i++], c.days_);
  parse_field(input, kMonth, fields[i++], c.months_);
  c.weekdays_restricted_ = parse_field(input, kDayOfWeek, fields[i++], c.weekdays_);
  if (c.days_restricted_ && !c.weekdays_restricted_) {
    bool possible = false;
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= days_in_month_max(m); ++d) possible |= c.months_[m] && c.days_[d];
    }
    if (!possible) {
      bad_field(input, kDayOfMonth, fields[i - 3], "never occurs in the months of the month field");
    }
  }
  return c;
}

bool CronExpression::matches_day(int day_of_month, int day_of_week) const {
  bool dom = days_[day_of_month], dow = weekdays_[day_of_week];
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  return dom && dow;
}

std::chrono::system_clock::time_point CronExpression::next_after(
    std::chrono::system_clock::time_point after) const {
  using namespace std::chrono;
  time_t t = system_clock::to_time_t(time_point_cast<seconds>(after)) + 1;
  if (time_point_cast<seconds>(after) > after) t -= 1;
  const time_t limit = t + 10LL * 366 * 24 * 3600;
  tm lt{};
  while (t < limit) {
    localtime_r(&t, &lt);
    auto rebuild = [&]() {
      lt.tm_isdst = -1;
      time_t next = mktime(&lt);
      t = next > t ? next : t + 1;
    };
    if (!months_[lt.tm_mon + 1]) {
      lt.tm_mon += 1, lt.tm_mday = 1, lt.tm_hour = lt.tm_min = lt.tm_sec = 0;
      rebuild();
    } else if (!matches_day(lt.tm_mday, lt.tm_wday)) {
      lt.tm_mday += 1, lt.tm_hour = lt.tm_min = lt.tm_sec = 0;
      rebuild();
    } else if (!hours_[lt.tm_hour]) {
      lt.tm_hour += 1, lt.tm_min = lt.tm_sec = 0;
      rebuild();
    } else if (!minutes_[lt.tm_min]) {
      lt.tm_min += 1, lt.tm_sec = 0;
      rebuild();
    } else if (!seconds_[lt.tm_sec]) {
      t += 1;
    } else {
      return system_clock::from_time_t(t);
    }
  }
  throw Error(ErrorKind::kInvalidArgument,
              "Invalid cron expression '" + text_ + "': it never matches in the next ten years");
}

}  // namespace keepsake
