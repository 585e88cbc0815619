// UTC timestamps as Keepsake writes them into JSON, status files and folder names. Pure; never
// reads the local time zone.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace keepsake {

namespace detail {
inline std::string format_utc(std::chrono::system_clock::time_point t, const char* format) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace detail

// "2026-12-05T01:40:00Z".
inline std::string iso8601_utc(std::chrono::system_clock::time_point t = std::chrono::system_clock::now()) {
  return detail::format_utc(t, "%Y-%m-%dT%H:%M:%SZ");
}

// "20261205T014000Z", for file and folder names.
inline std::string compact_utc(std::chrono::system_clock::time_point t = std::chrono::system_clock::now()) {
  return detail::format_utc(t, "%Y%m%dT%H%M%SZ");
}

}  // namespace keepsake
