// The primary killed with -9 right after commits the client saw acknowledged, its data directory
// deleted, and the archive recovered to its latest WAL: how many acknowledged transactions are
// lost, with and without synchronous archiving (docs/PITR.md, "What is measured").
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"
#include "pitr/pitr_scenes.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using keepsake::testing::kill_cluster;
using keepsake::testing::wait_until;

constexpr int kRows = 300;

class PitrCrashTest : public keepsake::testing::PitrTest {
 protected:
  std::string replication_state(const char* column) {
    auto r = conn_->exec(std::string("SELECT ") + column + " FROM pg_stat_replication WHERE application_name = $1",
                         {std::string(kApplicationName)});
    return r.empty() ? "" : r.text(0, 0);
  }
  // Commits `n` rows, one transaction each, as fast as one client can; returns ms per commit.
  double commit_rows(int n) {
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) conn_->exec("INSERT INTO items (label) VALUES ('acknowledged')");
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count() / n;
  }
  bool slot_flushed_everything() {
    return conn_->exec("SELECT restart_lsn >= pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = $1",
                       {std::string(kSlotName)}).boolean(0, 0);
  }
  // Kills the primary, deletes its data directory, and recovers the archive's latest WAL;
  // returns the recovered rows.
  int64_t crash_and_recover_latest(WalStreamer& streamer) {
    kill_cluster(pg_->data_dir());
    conn_.reset();
    fs::remove_all(pg_->data_dir());
    streamer.stop();
    int64_t rows = -1;
    recover({.archive_dir = archive_, .target = {}, .database = "immich", .user = "postgres", .timeout = 60s,
             .inspect = [&](db::Connection& c) { rows = c.exec("SELECT count(*) FROM items").int64(0, 0); },
             .keep = false});
    return rows;
  }
};

// Without synchronous archiving the server does not wait for the archive: what the walsender had
// not yet sent and pg_receivewal not yet flushed when the primary died is lost. Everything the
// slot had confirmed before the burst must be there.
TEST_F(PitrCrashTest, WithoutSynchronousArchivingOnlyTheLastMomentsAreLost) {
  enable({.db = db_, .archive_dir = archive_});
  WalStreamer streamer(db_, archive_);
  streamer.start();
  ASSERT_TRUE(wait_until([&] { return replication_state("state") == "streaming"; }, 15s));
  EXPECT_EQ(replication_state("sync_state"), "async");
  constexpr int kConfirmed = 20;
  commit_rows(kConfirmed);
  ASSERT_TRUE(wait_until([&] { return slot_flushed_everything(); }, 15s));
  double ms = commit_rows(kRows);
  int64_t rows = crash_and_recover_latest(streamer) - kConfirmed;
  EXPECT_GE(rows, 0) << "a row the archive had confirmed is lost";
  EXPECT_LE(rows, kRows);
  std::cout << "[ measured ] asynchronous archiving: " << kRows << " commits acknowledged (" << ms
            << " ms each), " << kRows - rows << " lost after kill -9\n";
}

// With synchronous archiving each commit returns only once pg_receivewal flushed its WAL.
TEST_F(PitrCrashTest, WithSynchronousArchivingNoAcknowledgedCommitIsLost) {
  enable({.db = db_, .archive_dir = archive_});
  WalStreamer streamer(db_, archive_, true);
  streamer.start();
  ASSERT_TRUE(wait_until([&] { return replication_state("sync_state") == "sync"; }, 15s))
      << "synchronous_standby_names did not name the stream";
  double ms = commit_rows(kRows);
  int64_t rows = crash_and_recover_latest(streamer);
  EXPECT_EQ(rows, kRows) << "acknowledged commits lost";
  std::cout << "[ measured ] synchronous archiving: " << kRows << " commits acknowledged (" << ms << " ms each), "
            << kRows - rows << " lost after kill -9\n";
}

}  // namespace
}  // namespace keepsake::pitr
