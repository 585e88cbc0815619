// Cron expressions as Immich's `cron` library accepts them: 5 fields (minute hour day-of-month
// month day-of-week) or 6 with a leading seconds field; `*`, lists, ranges, steps, month and
// weekday names, 7 = Sunday, and the @yearly/@monthly/@weekly/@daily/@hourly shortcuts.
// When both day fields are restricted a day matches if either does (Vixie cron).
// Parsing throws keepsake::Error(kInvalidArgument) naming the bad field; it never guesses.
#pragma once

#include <bitset>
#include <chrono>
#include <string>

namespace keepsake {

class CronExpression {
 public:
  // Throws Error(kInvalidArgument) naming the field and the value it accepts.
  static CronExpression parse(const std::string& text);

  // The first matching time strictly after `after`, in the process's local time zone (as Immich's
  // scheduler does). Seconds resolution.
  std::chrono::system_clock::time_point next_after(std::chrono::system_clock::time_point after) const;

  const std::string& text() const { return text_; }
  bool matches_second(int s) const { return seconds_[s]; }
  bool matches_minute(int m) const { return minutes_[m]; }
  bool matches_hour(int h) const { return hours_[h]; }
  bool matches_month(int m) const { return months_[m]; }  // 1..12
  // Day-of-month and day-of-week rules combined (dow: 0 = Sunday).
  bool matches_day(int day_of_month, int day_of_week) const;

 private:
  std::string text_;
  std::bitset<60> seconds_, minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_;
  bool days_restricted_ = false, weekdays_restricted_ = false;
};

}  // namespace keepsake
