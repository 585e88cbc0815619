#include "common/cron_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace keepsake {
namespace {

using namespace std::chrono_literals;

// Every-second cron: a tick comes within a second, and runs only once its time has come.
TEST(CronLoopTest, RunsTicksAtTheirTimeAndStops) {
  std::atomic<int> ticks{0}, wakes{0}, early{0};
  CronLoop loop({.name = "test loop",
                 .poll = 50ms,
                 .schedule = [] { return std::optional<std::string>("* * * * * *"); },
                 .on_tick = [&](std::chrono::system_clock::time_point tick) {
                   if (std::chrono::system_clock::now() < tick) ++early;
                   ++ticks;
                 },
                 .after_wake = [&] { ++wakes; }});
  loop.start();
  loop.start();  // a second start is a no-op
  for (int i = 0; i < 300 && ticks < 2; ++i) std::this_thread::sleep_for(10ms);
  loop.stop();
  EXPECT_GE(ticks.load(), 2);
  EXPECT_EQ(early.load(), 0);
  EXPECT_GE(wakes.load(), ticks.load());
  int after_stop = ticks;
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(ticks.load(), after_stop);
}

TEST(CronLoopTest, ScheduleOffOrFailingRunsNoTickAndRetries) {
  std::atomic<int> reads{0}, ticks{0};
  CronLoop loop({.name = "test loop",
                 .poll = 20ms,
                 .schedule = [&]() -> std::optional<std::string> {
                   if (++reads % 2) throw std::runtime_error("settings unreadable");
                   return std::nullopt;
                 },
                 .on_tick = [&](std::chrono::system_clock::time_point) { ++ticks; }});
  loop.start();
  for (int i = 0; i < 200 && reads < 4; ++i) std::this_thread::sleep_for(10ms);
  loop.stop();
  EXPECT_GE(reads.load(), 4);
  EXPECT_EQ(ticks.load(), 0);
}

}  // namespace
}  // namespace keepsake
