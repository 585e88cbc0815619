#include "cli/progress_bar.h"

#include <gtest/gtest.h>

namespace keepsake::cli {
namespace {

TEST(ProgressBar, ATerminalLineHasTheBarPercentCountRateAndTimeLeft) {
  ProgressSample s{"verify", 2250, 5000, "originals", 50, ""};
  // 45 per second; 2750 left: 61 s.
  EXPECT_EQ(format_progress(s, true), "verify   [#########           ]  45%  2250/5000 originals  45.0/s  ETA 1:01");
  EXPECT_EQ(format_progress(s, false), "verify    45%  2250/5000 originals  45.0/s  ETA 1:01");
}

TEST(ProgressBar, BytesAreShownInBinaryUnitsWithTheirRate) {
  ProgressSample s{"backup", 3.0 * (1 << 30), 0, "B", 12, "dump"};
  EXPECT_EQ(format_progress(s, true), "backup    3.0 GiB  256.0 MiB/s  dump") << "no total: no bar, no percent, no ETA";
  s.total = 4.0 * (1 << 30);
  EXPECT_EQ(format_progress(s, true),
            "backup   [###############     ]  75%  3.0 GiB of 4.0 GiB  256.0 MiB/s  ETA 0:04  dump");
}

TEST(ProgressBar, AShareOfWorkShowsOnlyThePercentAndTimeLeftOnceARateIsKnown) {
  ProgressSample s{"restore", 0.25, 1, "", 0.5, "data: album"};
  EXPECT_EQ(format_progress(s, false), "restore   25%  data: album") << "under a second: no estimate yet";
  s.seconds = 3725;  // a quarter in 1:02:05: three quarters take 3:06:15
  EXPECT_EQ(format_progress(s, false), "restore   25%  ETA 3:06:15  data: album");
  s.done = 1;
  EXPECT_EQ(format_progress(s, false), "restore  100%  data: album") << "nothing left: no ETA";
}

TEST(ProgressBar, OddFiguresStayWithinTheLine) {
  ProgressSample over{"scan", 120, 100, "rows", 2, ""};
  EXPECT_EQ(format_progress(over, true), "scan     [####################] 100%  120/100 rows  60.0/s");
  ProgressSample none{"scan", 0, 0, "rows", 5, ""};
  EXPECT_EQ(format_progress(none, true), "scan      0 rows");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
}

}  // namespace
}  // namespace keepsake::cli
