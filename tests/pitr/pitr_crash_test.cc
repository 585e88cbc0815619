// The primary killed with -9 right after commits the client saw acknowledged, its data directory
// deleted, and the archive recovered to its latest WAL: how many acknowledged transactions are
// lost, with and without synchronous archiving (docs/PITR.md, "What is measured"). The
// asynchronous case archives the cluster as an external one (TCP only, a replication role that
// is not a superuser) and also recovers it to a time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "harness/keepsake_process.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"
#include "pitr/pitr_scenes.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using keepsake::testing::kill_cluster;
using keepsake::testing::wait_until;
using ::testing::ElementsAre;

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
  // As Immich's container gives a database: TCP with a password, a role with REPLICATION that is
  // not a superuser, and the socket refused to it.
  DatabaseConfig external_role() {
    conn_->exec("CREATE ROLE archivist LOGIN REPLICATION PASSWORD 'not-a-secret'");
    std::string hba = keepsake::testing::read_file(pg_->data_dir() + "/pg_hba.conf");
    std::ofstream(pg_->data_dir() + "/pg_hba.conf", std::ios::trunc) << "local all archivist reject\n" << hba;
    conn_->exec("SELECT pg_reload_conf()");
    DatabaseConfig tcp = db_;
    tcp.host = "127.0.0.1";
    tcp.user = "archivist";
    tcp.password = "not-a-secret";
    auto role = db::Connection::open(tcp)->exec("SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user");
    EXPECT_FALSE(role.boolean(0, 0));
    EXPECT_TRUE(role.boolean(0, 1));
    return tcp;
  }
  // The recovered items' labels (read before the scratch cluster stops).
  std::vector<std::string> recovered_labels(RecoveryTarget target) {
    std::vector<std::string> labels;
    recover({.archive_dir = archive_, .target = std::move(target), .database = "immich", .user = "postgres",
             .timeout = 60s,
             .inspect = [&](db::Connection& c) {
               auto r = c.exec("SELECT label FROM items ORDER BY id");
               for (int i = 0; i < r.rows(); ++i) labels.push_back(r.text(i, 0));
             },
             .keep = false});
    return labels;
  }
  // Kills the primary and deletes its data directory; the stream ends with it.
  void crash(WalStreamer& streamer) {
    kill_cluster(pg_->data_dir());
    conn_.reset();
    fs::remove_all(pg_->data_dir());
    streamer.stop();
  }
};

// Without synchronous archiving the server does not wait for the archive: what the walsender had
// not yet sent and pg_receivewal not yet flushed when the primary died is lost. Everything the
// slot had confirmed before the burst must be there.
TEST_F(PitrCrashTest, AnExternalClusterRecoversToATimeAndWithoutSynchronousArchivingLosesTheLastMoments) {
  DatabaseConfig tcp = external_role();
  // It cannot set synchronous_standby_names itself: the line to paste.
  EXPECT_THAT(check_readiness(tcp, true).recommended,
              ::testing::Contains(::testing::StartsWith("synchronous_standby_names = 'keepsake_pitr'")));
  EXPECT_TRUE(enable({.db = tcp, .archive_dir = archive_}).base.verified);
  WalStreamer streamer(tcp, archive_);
  streamer.start();
  commit_item("t1");
  int64_t after_t2 = commit_item("t2");
  std::this_thread::sleep_for(50ms);
  commit_item("t3");
  ASSERT_TRUE(wait_until([&] { return replication_state("state") == "streaming"; }, 15s));
  EXPECT_EQ(replication_state("sync_state"), "async");
  ASSERT_TRUE(wait_until([&] { return slot_flushed_everything(); }, 15s));
  double ms = commit_rows(kRows);
  crash(streamer);

  EXPECT_THAT(recovered_labels({RecoveryTarget::Kind::kTime, after_t2, ""}), ElementsAre("t1", "t2"));
  auto latest = recovered_labels({});
  ASSERT_GE(latest.size(), 3u) << "a row the archive had confirmed is lost";
  EXPECT_THAT(std::vector<std::string>(latest.begin(), latest.begin() + 3), ElementsAre("t1", "t2", "t3"));
  int64_t rows = static_cast<int64_t>(latest.size()) - 3;
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
  crash(streamer);
  auto rows = static_cast<int64_t>(recovered_labels({}).size());
  EXPECT_EQ(rows, kRows) << "acknowledged commits lost";
  std::cout << "[ measured ] synchronous archiving: " << kRows << " commits acknowledged (" << ms << " ms each), "
            << kRows - rows << " lost after kill -9\n";
}

}  // namespace
}  // namespace keepsake::pitr
