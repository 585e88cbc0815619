// Faults of the archive: its filesystem full, and the replication slot lost. Each gives a log line
// and a `pitr status` problem; the live database keeps committing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"
#include "pitr/pitr_scenes.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using keepsake::testing::LogCapture;
using keepsake::testing::wait_until;
using ::testing::Contains;
using ::testing::HasSubstr;

class PitrFaultsTest : public keepsake::testing::PitrTest {
 protected:
  void TearDown() override {
    if (mounted_) umount2(archive_.c_str(), MNT_DETACH);
    PitrTest::TearDown();
  }
  std::vector<std::string> problems() { return read_status(db_, archive_).problems; }
  bool slot_active() {
    auto r = conn_->exec("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {std::string(kSlotName)});
    return !r.empty() && r.boolean(0, 0);
  }
  // Writes zeros into the archive's filesystem until it has no room left.
  void fill_archive_filesystem() {
    std::ofstream filler(archive_ + "/filler", std::ios::binary);
    std::string block(1 << 20, '\0');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  bool mounted_ = false;
};

// One cluster for both faults: the full disk first (it needs the slot), then the lost slot.
TEST_F(PitrFaultsTest, AFullArchiveFilesystemAndALostSlotAreReportedAndTheDatabaseKeepsCommitting) {
  fs::create_directories(archive_);
  // Room for enable: the base backup (about 20 MB: pg_basebackup leaves pg_wal.tar uncompressed
  // beside zstd), its unpacked check (about 45 MB), WAL segments of 16 MB.
  mounted_ = mount("keepsake-pitr-test", archive_.c_str(), "tmpfs", 0, "size=128m") == 0;
  std::string why_not_mounted = mounted_ ? "" : std::strerror(errno);
  enable({.db = db_, .archive_dir = archive_});
  LogCapture log;
  WalStreamer streamer(db_, archive_);
  streamer.start();
  ASSERT_TRUE(wait_until([&] { return slot_active(); }, 15s));
  int committed = 0;
  if (mounted_) {
    fill_archive_filesystem();
    conn_->exec("SELECT pg_switch_wal()");
    commit_item("needs a new segment");
    ASSERT_TRUE(wait_until([&] { return log.text().find("No space left on device") != std::string::npos; }, 15s))
        << log.text();
    EXPECT_THAT(log.text(), HasSubstr("PITR: WAL streaming stopped"));
    EXPECT_THAT(problems(), Contains(HasSubstr("the archive's filesystem is full")));
    commit_item("still committing");
    committed += 2;
    EXPECT_EQ(conn_->exec("SELECT count(*) FROM items").int64(0, 0), committed);
    fs::remove(archive_ + "/filler");
    ASSERT_TRUE(wait_until([&] { return slot_active() && problems().empty(); }, 20s))
        << "the stream did not resume once space was freed: " << ::testing::PrintToString(problems());
  }

  // The server ends the stream, and the slot is dropped before the supervisor restarts it.
  ASSERT_TRUE(wait_until([&] {
    try {
      conn_->exec("SELECT pg_drop_replication_slot($1)", {std::string(kSlotName)});
      return true;
    } catch (const Error&) {
      conn_->exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1",
                  {std::string(kSlotName)});
      return false;
    }
  }, 10s));
  ASSERT_TRUE(wait_until([&] {
    return log.text().find("replication slot \"keepsake_pitr\" does not exist") != std::string::npos;
  }, 15s)) << log.text();
  EXPECT_THAT(problems(), Contains(HasSubstr("the replication slot keepsake_pitr does not exist")));
  commit_item("still committing");
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM items").int64(0, 0), committed + 1);
  streamer.stop();
  if (!mounted_) GTEST_SKIP() << "the full-disk part needs a tmpfs on the archive (" << why_not_mounted << "): root";
}

// max_slot_wal_keep_size below a segment, no stream, WAL past it and a checkpoint: the server
// invalidates the slot. Then `pitr enable` replaces it; the old base backup's WAL has a gap.
// Two base backups: 12-19 s under a load of 15.
TEST_F(PitrFaultsTest, ASlotLostThroughMaxSlotWalKeepSizeIsReportedAlertedAndReplacedByEnable) {
  auto first = enable({.db = db_, .archive_dir = archive_}).base;
  conn_->exec("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  conn_->exec("SELECT pg_reload_conf()");
  auto wal_status = [&] {
    return conn_->exec("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", {std::string(kSlotName)})
        .text(0, 0);
  };
  for (int i = 0; i < 10 && wal_status() != "lost"; ++i) {
    commit_item("past the kept WAL " + std::to_string(i));
    conn_->exec("SELECT pg_switch_wal()");
    conn_->exec("CHECKPOINT");
  }
  ASSERT_EQ(wal_status(), "lost");

  LogCapture log;
  std::vector<std::string> notified;
  PitrScheduler scheduler({.db = db_, .archive_dir = archive_, .notify = [&](const std::string& problem) {
                             notified.push_back(problem);
                           }});
  scheduler.check_health();
  scheduler.check_health();
  ASSERT_EQ(notified.size(), 1u) << ::testing::PrintToString(notified);
  EXPECT_THAT(notified[0], HasSubstr("the replication slot keepsake_pitr is lost"));
  EXPECT_THAT(notified[0], HasSubstr("max_slot_wal_keep_size = 1MB"));
  EXPECT_THAT(notified[0], HasSubstr("run `keepsake pitr enable`"));
  EXPECT_THAT(log.text(), HasSubstr("PITR problem: the replication slot keepsake_pitr is lost"));
  auto status = read_status(db_, archive_);
  EXPECT_EQ(status.problem_kinds, std::vector<std::string>{"slot-lost"});
  EXPECT_EQ(status_json(status)["slot"]["walStatus"], "lost");
  commit_item("still committing");  // the live database is unharmed

  // As an admin would (a 1 MB bound would lose the new slot at the base backup's checkpoint too).
  conn_->exec("ALTER SYSTEM RESET max_slot_wal_keep_size");
  conn_->exec("SELECT pg_reload_conf()");
  auto second = enable({.db = db_, .archive_dir = archive_}).base;
  EXPECT_NE(wal_status(), "lost");
  status = read_status(db_, archive_);
  // No stream runs here (serve is not started): whether the slot shows pg_receivewal's last flush
  // depends on its final feedback arriving before it exited, so "slot-idle" may come or not.
  auto kinds = status.problem_kinds;
  std::erase(kinds, "slot-idle");
  EXPECT_EQ(kinds, std::vector<std::string>{"wal-gap"}) << ::testing::PrintToString(status.problems);
  EXPECT_THAT(status.problems, Contains(HasSubstr("after base backup " + first.name)));
  EXPECT_EQ(status.earliest_us, second.end_us) << "the window starts at the new base backup";
  scheduler.check_health();
  EXPECT_THAT(log.text(), HasSubstr("PITR: resolved: slot-lost"));
}

}  // namespace
}  // namespace keepsake::pitr
