// Cron expressions (src/common/cron): parsing any text either yields an expression or throws
// keepsake::Error; a parsed expression's next time is strictly later and matches it.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include "common/cron.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace std::chrono;
  static bool utc = [] {
    setenv("TZ", "UTC", 1);
    tzset();
    return true;
  }();
  (void)utc;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto cron = keepsake::CronExpression::parse(text);
    auto after = system_clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z
    auto next = cron.next_after(after);
    if (next <= after) std::abort();
    time_t t = system_clock::to_time_t(next);
    tm lt{};
    gmtime_r(&t, &lt);
    if (!cron.matches_second(lt.tm_sec) || !cron.matches_minute(lt.tm_min) || !cron.matches_hour(lt.tm_hour) ||
        !cron.matches_month(lt.tm_mon + 1) || !cron.matches_day(lt.tm_mday, lt.tm_wday)) {
      std::abort();
    }
  } catch (const keepsake::Error&) {
  }
  return 0;
}
