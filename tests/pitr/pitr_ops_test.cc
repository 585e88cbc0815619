// PITR operations against real clusters (pitr_cluster.h): retention by recovery window with
// backdated base backups, the scheduled base backup (one per tick across instances), the alerts
// (once per problem streak), and `keepsake pitr disable`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
#include "config/keepsake_settings.h"
#include "db/locks.h"
#include "harness/keepsake_process.h"
#include "pitr/archive.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr int64_t kDay = 86400LL * 1000000;

class PitrOpsTest : public keepsake::testing::PitrTest {
 protected:
  // Moves a base backup's recorded times `days` into the past.
  void backdate(const std::string& name, int days) {
    std::string path = archive_ + "/base/" + name + "/keepsake-backup.json";
    auto j = nlohmann::json::parse(std::ifstream(path));
    j["start_us"] = j["start_us"].get<int64_t>() - days * kDay;
    j["end_us"] = j["end_us"].get<int64_t>() - days * kDay;
    std::ofstream(path, std::ios::trunc) << j.dump();
  }
  std::vector<std::string> base_names() {
    std::vector<std::string> out;
    for (auto& b : Archive(archive_).base_backups()) out.push_back(b.name);
    return out;
  }
  std::vector<Segment> segments() { return list_segments(archive_ + "/wal", 16u << 20); }
  bool slot_exists() {
    return !conn_->exec("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", {std::string(kSlotName)}).empty();
  }
};

// Two base backups B1 < B2 (an enable, one more base backup and one recovery: about 20 s on an
// idle machine, 36-43 s under a load of 8).
TEST_F(PitrOpsTest, PrunesBaseBackupsWalAndRestorePointsTogetherWithoutAGap) {
  auto b1_info = enable({.db = db_, .archive_dir = archive_}).base;
  auto b1 = b1_info.name;
  commit_item("t1");
  ASSERT_TRUE(create_restore_point(*conn_, archive_, "before-b2"));
  {
    auto held = db::try_lock(db_, db::DatabaseLock::PitrBaseBackup);
    ASSERT_TRUE(held);
    EXPECT_THROW(take_base_backup(db_, archive_), Error) << "one base backup at a time";
  }
  fs::create_directories(archive_ + "/base/20260101T000000Z.partial/base.tar.gz");  // a killed run's
  auto b2 = take_base_backup(db_, archive_);
  EXPECT_FALSE(fs::exists(archive_ + "/base/20260101T000000Z.partial"));
  int64_t after_t2 = commit_item("t2");
  std::this_thread::sleep_for(50ms);
  commit_item("t3");
  stream_until_current(db_, archive_, 30s);
  const uint64_t b2_start_segment = *parse_lsn(b2.start_lsn) / (16u << 20);

  // B1 is the newest base backup before the window: it and all WAL from its start stay (the
  // slot reserved WAL a little before it: that segment goes).
  backdate(b1, 20);
  int before_b1 = 0;
  for (auto& s : segments()) before_b1 += s.number < *parse_lsn(b1_info.start_lsn) / (16u << 20);
  auto none = prune(archive_, 14, now_us());
  EXPECT_EQ(none.kept_from, b1);
  EXPECT_TRUE(none.base_backups.empty());
  EXPECT_EQ(none.wal_files, before_b1);
  EXPECT_EQ(segments().front().number, *parse_lsn(b1_info.start_lsn) / (16u << 20));

  auto before = segments();
  backdate(b2.name, 16);  // now B2 is: B1 and the WAL before B2's start go
  auto pruned = prune(archive_, 14, now_us());
  EXPECT_EQ(pruned.kept_from, b2.name);
  EXPECT_THAT(pruned.base_backups, ElementsAre(b1));
  EXPECT_EQ(pruned.restore_points, 1);
  EXPECT_GT(pruned.bytes, 0u);
  int expected_removed = 0;
  for (auto& s : before) expected_removed += s.number < b2_start_segment;
  EXPECT_GT(expected_removed, 0);
  EXPECT_EQ(pruned.wal_files, expected_removed);
  EXPECT_THAT(base_names(), ElementsAre(b2.name));
  EXPECT_FALSE(fs::exists(archive_ + "/base/" + b1));
  auto after = segments();
  EXPECT_EQ(after.size(), before.size() - expected_removed);
  EXPECT_EQ(after.front().number, b2_start_segment) << "every segment from B2's start on stays";
  auto status = read_status(db_, archive_, 0);
  EXPECT_TRUE(status.problems.empty()) << status.problems.front();
  EXPECT_TRUE(status.restore_points.empty());

  // A year later the only verified base backup still stays; the history a restore set aside
  // within the window stays, the one set aside before it goes.
  auto set_aside = [&](int64_t at_us) {
    auto name = stamp(std::chrono::system_clock::time_point(std::chrono::microseconds(at_us))) + "-timeline-1";
    fs::create_directories(archive_ + "/abandoned/" + name + "/wal");
    std::ofstream(archive_ + "/abandoned/" + name + "/wal/000000010000000000000009") << "wal";
    return name;
  };
  std::string old_history = set_aside(now_us() + 300 * kDay);
  std::string recent_history = set_aside(now_us() + 360 * kDay);
  auto later = prune(archive_, 14, now_us() + 365 * kDay);
  EXPECT_EQ(later.kept_from, b2.name);
  EXPECT_TRUE(later.base_backups.empty());
  EXPECT_EQ(later.wal_files, 0);
  EXPECT_THAT(later.abandoned, ElementsAre(old_history));
  EXPECT_TRUE(fs::exists(archive_ + "/abandoned/" + recent_history));

  std::vector<std::string> labels;
  recover({.archive_dir = archive_, .target = {RecoveryTarget::Kind::kTime, after_t2, ""}, .database = "immich",
           .user = "postgres", .timeout = 60s, .inspect = [&](db::Connection& conn) {
             auto rows = conn.exec("SELECT label FROM items ORDER BY id");
             for (int i = 0; i < rows.rows(); ++i) labels.push_back(rows.text(i, 0));
           }});
  EXPECT_THAT(labels, ElementsAre("t1", "t2"));
}

// An enable and two scheduled base backups: 28-39 s under a load of 8.
TEST_F(PitrOpsTest, OneBaseBackupPerTickAcrossInstancesAndEachProblemAlertsOncePerStreak) {
  conn_->exec(R"(CREATE TABLE "system_metadata" ("key" varchar PRIMARY KEY, "value" jsonb NOT NULL))");
  auto first = enable({.db = db_, .archive_dir = archive_}).base;
  std::vector<std::string> notified;
  auto collect = [&](const std::string& problem) { notified.push_back(problem); };
  PitrScheduler a({.db = db_, .archive_dir = archive_, .notify = collect});
  PitrScheduler b({.db = db_, .archive_dir = archive_, .notify = collect});
  EXPECT_FALSE(a.ensure_base_backup()) << "a verified base backup exists";
  // As a first enable killed during its base backup leaves the archive: enabled, no base backup.
  fs::rename(archive_ + "/base/" + first.name, archive_ + "/base/" + first.name + ".partial");
  fs::remove(archive_ + "/base/" + first.name + ".partial/keepsake-backup.json");
  EXPECT_TRUE(a.ensure_base_backup());
  EXPECT_EQ(base_names().size(), 1u);
  EXPECT_FALSE(fs::exists(archive_ + "/base/" + first.name + ".partial"));
  auto tick = std::chrono::system_clock::from_time_t(1800000000);
  {
    auto held = db::try_lock(db_, db::DatabaseLock::PitrBaseBackup);
    ASSERT_TRUE(held);
    EXPECT_FALSE(a.run_tick(tick)) << "another instance holds the lock";
  }
  EXPECT_TRUE(a.run_tick(tick));
  EXPECT_FALSE(b.run_tick(tick)) << "the tick already ran";
  EXPECT_EQ(base_names().size(), 2u);
  // Nothing streams here: catch the archive up as serve's stream would, or the base backups' WAL
  // (over a segment) is reported as an idle slot.
  stream_until_current(db_, archive_, 60s);
  a.check_health();
  EXPECT_TRUE(notified.empty()) << notified.front();

  // The archive falls behind (nothing streams here) past pitr.lagAlertSeconds.
  auto settings = config::load_keepsake_settings(*conn_);
  settings["pitr"]["lagAlertSeconds"] = 1;
  config::save_keepsake_settings(*conn_, settings);
  commit_item("t1");
  std::this_thread::sleep_for(1100ms);
  a.check_health();
  a.check_health();
  ASSERT_EQ(notified.size(), 1u);
  EXPECT_THAT(notified[0], HasSubstr("behind the database"));

  // A failed base backup: its folder cannot be written.
  chmod((archive_ + "/base").c_str(), 0500);
  EXPECT_FALSE(b.run_tick(tick + 1h));
  chmod((archive_ + "/base").c_str(), 0700);
  stream_until_current(db_, archive_, 60s);  // the lag streak ends; only the failure is new
  a.check_health();
  a.check_health();
  ASSERT_EQ(notified.size(), 2u);
  EXPECT_THAT(notified[1], HasSubstr("the last base backup failed"));

  // The slot is lost.
  conn_->exec("SELECT pg_drop_replication_slot($1)", {std::string(kSlotName)});
  a.check_health();
  a.check_health();
  ASSERT_EQ(notified.size(), 3u);
  EXPECT_THAT(notified[2], HasSubstr("does not exist"));
  EXPECT_THAT(read_status(db_, archive_).problem_kinds, ElementsAre("slot-missing", "base-backup-failed"));
}

// `pitr enable` and four more runs of the ASan binary: 34-44 s under a load of 8 (each run
// connects and starts up; there is no cheaper way to show the confirmation and the output).
TEST_F(PitrOpsTest, DisableAsksDropsTheSlotStopsStreamingAndSaysWhatStays) {
  std::map<std::string, std::string> env = {
      {"KEEPSAKE_DATA_DIR", dir_.path() + "/data"},
      {"IMMICH_MEDIA_LOCATION", dir_.path()},
      {"DB_URL", "postgresql://postgres@localhost/immich?host=" + pg_->socket_dir() + "&port=" + std::to_string(port_)}};
  auto run = [&](std::vector<std::string> args, int expected_exit) {
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
    EXPECT_EQ(p.wait_exit(120), expected_exit) << p.stderr_text();
    return p.stdout_text() + p.stderr_text();
  };
  run({"pitr", "enable", "--location", archive_}, 0);
  WalStreamer streamer(db_, archive_);  // as `serve` runs it
  streamer.start();
  auto streaming = [&] { return conn_->exec("SELECT count(*) FROM pg_stat_replication").int64(0, 0) > 0; };
  for (int i = 0; i < 100 && !streaming(); ++i) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(streaming());

  EXPECT_THAT(run({"pitr", "disable"}, 2), HasSubstr("confirm with --yes"));
  EXPECT_TRUE(slot_exists());
  auto said = run({"pitr", "disable", "--yes"}, 0);
  EXPECT_THAT(said, HasSubstr("replication slot keepsake_pitr dropped"));
  EXPECT_THAT(said, HasSubstr("the archive " + archive_ + " ("));
  EXPECT_THAT(said, HasSubstr("rm -rf '" + archive_ + "'"));
  EXPECT_FALSE(slot_exists());
  std::this_thread::sleep_for(1500ms);  // past the streamer's 1 s restart backoff
  EXPECT_FALSE(streaming());
  EXPECT_EQ(streamer.runs(), 1) << "pg_receivewal was not started again";
  EXPECT_TRUE(fs::exists(archive_ + "/base"));

  EXPECT_THAT(run({"pitr", "status"}, 0), HasSubstr("PITR is disabled; the archive " + archive_));
  EXPECT_THAT(run({"pitr", "disable", "--yes"}, 1), HasSubstr("not enabled"));
}

}  // namespace
}  // namespace keepsake::pitr
