// The WAL stream stopped for a while under write load and started again: the slot kept every
// segment, so the archive has no gap, and (synchronous mode) commits never waited for the
// stopped archive.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"
#include "pitr/pitr_scenes.h"

namespace keepsake::pitr {
namespace {
using namespace std::chrono_literals;
using keepsake::testing::wait_until;
using keepsake::testing::Writer;

class PitrRestartTest : public keepsake::testing::PitrTest {
 protected:
  bool synchronous_and_caught_up() {
    auto r = conn_->exec(
        "SELECT sync_state = 'sync' AND flush_lsn >= pg_current_wal_lsn() FROM pg_stat_replication "
        "WHERE application_name = $1",
        {std::string(kApplicationName)});
    return !r.empty() && r.boolean(0, 0);
  }
};

TEST_F(PitrRestartTest, AStreamStoppedUnderWriteLoadResumesWithoutAGapAndNeverBlocksCommits) {
  enable({.db = db_, .archive_dir = archive_});
  auto streamer = std::make_unique<WalStreamer>(db_, archive_, true);
  streamer->start();
  ASSERT_TRUE(wait_until([&] { return synchronous_and_caught_up(); }, 15s));
  Writer writer(db_);
  std::this_thread::sleep_for(500ms);
  streamer->stop();
  int at_stop = writer.acknowledged();
  // While stopped: more segments than one, so a missing one would be a gap.
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(300ms);
    conn_->exec("SELECT pg_switch_wal()");
  }
  EXPECT_GT(writer.acknowledged(), at_stop + 10) << "commits waited for the stopped archive";
  EXPECT_THAT(read_status(db_, archive_).problems,
              ::testing::Contains(::testing::HasSubstr("no WAL stream is using the replication slot")));
  streamer = std::make_unique<WalStreamer>(db_, archive_, true);
  streamer->start();
  std::this_thread::sleep_for(500ms);
  writer.stop();
  ASSERT_TRUE(wait_until([&] { return synchronous_and_caught_up(); }, 15s));
  std::cout << "[ measured ] slowest commit across stop and restart: " << writer.slowest_ms() << " ms ("
            << writer.acknowledged() << " commits)\n";
  EXPECT_LT(writer.slowest_ms(), 2000);

  auto status = read_status(db_, archive_);
  EXPECT_THAT(status.problems, ::testing::IsEmpty());
  EXPECT_TRUE(status.latest_us.has_value());
  int64_t rows = -1;
  recover({.archive_dir = archive_, .target = {}, .database = "immich", .user = "postgres", .timeout = 60s,
           .inspect = [&](db::Connection& c) { rows = c.exec("SELECT count(*) FROM items").int64(0, 0); },
           .keep = false});
  EXPECT_EQ(rows, writer.acknowledged());
  streamer->stop();
}

}  // namespace
}  // namespace keepsake::pitr
