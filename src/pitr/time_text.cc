// ISO 8601 times for `pitr restore --to` and the status, in microseconds since the epoch (UTC).
#include <ctime>
#include <regex>

#include "common/error.h"
#include "pitr/pitr.h"

namespace keepsake::pitr {

int64_t parse_iso8601(const std::string& text) {
  static const std::regex kIso(
      R"((\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}:?\d{2}))");
  std::smatch m;
  if (!std::regex_match(text, m, kIso)) {
    throw Error(ErrorKind::kInvalidArgument, "not an ISO 8601 time with a zone: '" + text + "'",
                "write it like 2026-12-04T18:00:00Z or 2026-12-04T19:00:00+01:00");
  }
  struct tm tm = {};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    throw Error(ErrorKind::kInvalidArgument, "not a valid time: '" + text + "'");
  }
  int64_t seconds = timegm(&tm);
  std::string zone = m[8];
  if (zone != "Z") {
    std::string digits;
    for (char c : zone.substr(1)) if (c != ':') digits += c;
    int64_t offset = std::stoi(digits.substr(0, 2)) * 3600 + std::stoi(digits.substr(2, 2)) * 60;
    seconds -= zone[0] == '+' ? offset : -offset;
  }
  int64_t micros = 0;
  if (m[7].matched) {
    std::string frac = m[7].str();
    frac.resize(6, '0');
    micros = std::stoll(frac);
  }
  return seconds * 1000000 + micros;
}

std::string format_iso8601(int64_t micros) {
  time_t seconds = static_cast<time_t>(micros / 1000000);
  int64_t rest = micros % 1000000;
  if (rest < 0) rest += 1000000, --seconds;
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char buf[48];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(rest));
  return buf;
}

}  // namespace keepsake::pitr
