#include "common/cron.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "common/error.h"

namespace keepsake {
namespace {

using std::chrono::system_clock;

// Runs each test in UTC so expected times are plain; restores the previous zone afterwards.
class CronTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz, had_ = true;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_) setenv("TZ", saved_.c_str(), 1); else unsetenv("TZ");
    tzset();
  }
  std::string saved_;
  bool had_ = false;
};

system_clock::time_point at(const std::string& iso) {
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return system_clock::from_time_t(timegm(&tm));
}

std::string iso(system_clock::time_point t) {
  time_t tt = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

struct NextCase {
  const char* expr;
  const char* after;
  const char* expected;
};

TEST_F(CronTest, NextMatchTable) {
  const NextCase cases[] = {
      {"0 02 * * *", "2026-03-10T01:59:59", "2026-03-10T02:00:00"},
      {"0 02 * * *", "2026-03-10T02:00:00", "2026-03-11T02:00:00"},
      {"0 02 * * *", "2026-12-31T03:00:00", "2027-01-01T02:00:00"},
      {"*/15 * * * *", "2026-03-10T10:07:00", "2026-03-10T10:15:00"},
      {"5/20 * * * *", "2026-03-10T10:26:00", "2026-03-10T10:45:00"},
      {"0 0 * * 0", "2026-03-10T00:00:00", "2026-03-15T00:00:00"},  // next Sunday
      {"0 0 * * 7", "2026-03-10T00:00:00", "2026-03-15T00:00:00"},  // 7 is Sunday too
      {"0 0 * * sun", "2026-03-10T00:00:00", "2026-03-15T00:00:00"},
      {"0 12 * jun-aug mon-fri", "2026-03-10T00:00:00", "2026-06-01T12:00:00"},
      {"0 0 29 2 *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"},  // leap day
      {"0 0 31 * *", "2026-04-01T00:00:00", "2026-05-31T00:00:00"},  // skips 30-day April
      {"0 0 13 * 5", "2026-03-14T00:00:00", "2026-03-20T00:00:00"},  // 13th OR a Friday
      {"30 * * * * *", "2026-03-10T10:00:00", "2026-03-10T10:00:30"},  // six fields: seconds
      {"*/10 * * * * *", "2026-03-10T10:00:55", "2026-03-10T10:01:00"},
      {"0 0 1,15 * *", "2026-03-02T00:00:00", "2026-03-15T00:00:00"},
      {"0 22-23/1 * * *", "2026-03-10T22:30:00", "2026-03-10T23:00:00"},
      {"@daily", "2026-03-10T10:00:00", "2026-03-11T00:00:00"},
      {"@hourly", "2026-03-10T10:00:00", "2026-03-10T11:00:00"},
      {"0 0 1 JAN *", "2026-03-10T10:00:00", "2027-01-01T00:00:00"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expr);
    auto cron = CronExpression::parse(c.expr);
    EXPECT_EQ(iso(cron.next_after(at(c.after))), c.expected) << "after " << c.after;
  }
}

TEST_F(CronTest, SubSecondTimesAdvanceToTheNextWholeMatch) {
  auto cron = CronExpression::parse("* * * * * *");
  auto t = at("2026-03-10T10:00:00") + std::chrono::milliseconds(300);
  EXPECT_EQ(iso(cron.next_after(t)), "2026-03-10T10:00:01");
}

struct BadCase {
  const char* expr;
  const char* must_mention;
};

TEST_F(CronTest, BadExpressionsNameTheField) {
  const BadCase cases[] = {
      {"0 25 * * *", "hour field '25'"},
      {"60 * * * *", "minute field '60'"},
      {"0 0 0 * *", "day-of-month field '0'"},
      {"0 0 * 13 *", "month field '13'"},
      {"0 0 * * 8", "day-of-week field '8'"},
      {"0 0 * * fun", "day-of-week field 'fun'"},
      {"61 * * * * *", "second field '61'"},
      {"0 0 * *", "expected 5 fields"},
      {"0 0 * * * * *", "expected 5 fields"},
      {"", "expected 5 fields"},
      {"*/0 * * * *", "minute field '*/0'"},
      {"5-1 * * * *", "minute field '5-1'"},
      {"1,,2 * * * *", "minute field '1,,2'"},
      {"0 0 30 2 *", "day-of-month field '30'"},
      {"x * * * *", "minute field 'x'"},
      {"-1 * * * *", "minute field '-1'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expr);
    try {
      CronExpression::parse(c.expr);
      ADD_FAILURE() << "accepted " << c.expr;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(c.must_mention), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("Invalid cron expression"), std::string::npos);
    }
  }
}

TEST_F(CronTest, ImmichDefaultsParse) {
  EXPECT_NO_THROW(CronExpression::parse("0 02 * * *"));  // backup.database default
  EXPECT_NO_THROW(CronExpression::parse("0 0 * * *"));   // library scan default
  auto c = CronExpression::parse("0 02 * * *");
  EXPECT_TRUE(c.matches_hour(2));
  EXPECT_FALSE(c.matches_hour(3));
  EXPECT_TRUE(c.matches_minute(0));
  EXPECT_TRUE(c.matches_second(0));
  EXPECT_FALSE(c.matches_second(1));
}

}  // namespace
}  // namespace keepsake
