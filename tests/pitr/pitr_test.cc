// Point-in-time recovery against real clusters: enable (slot, verified base backup, WAL stream),
// restores to a time, to a restore point and to the latest WAL, the status, and a server that is
// not ready. Each test has its own cluster (pitr_cluster.h); every wait is bounded.
#include <gmock/gmock.h>
#include <pthread.h>
#include <signal.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
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

class PitrRecoveryTest : public keepsake::testing::PitrTest {
 protected:
  // Recovers and returns the recovered database's item labels (read before it stops).
  std::vector<std::string> recover_items(RecoveryTarget target, RecoverResult* result = nullptr) {
    std::vector<std::string> labels;
    auto r = recover({.archive_dir = archive_, .target = std::move(target), .database = "immich",
                      .user = "postgres", .timeout = 60s, .inspect = [&](db::Connection& conn) {
                        auto rows = conn.exec("SELECT label FROM items ORDER BY id");
                        for (int i = 0; i < rows.rows(); ++i) labels.push_back(rows.text(i, 0));
                      }});
    if (result) *result = r;
    return labels;
  }
  std::vector<std::string> restore_dir_entries() {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(archive_ + "/restore")) out.push_back(e.path().filename().string());
    return out;
  }
};

// Rows committed at t1 < t2 < t3 in separate transactions, a restore point between t1 and t2.
TEST_F(PitrRecoveryTest, RestoresToATimeARestorePointAndTheLatestWal) {
  EXPECT_FALSE(create_restore_point(*conn_, archive_, "test")) << "no-op while PITR is not enabled";
  auto enabled = enable({.db = db_, .archive_dir = archive_});
  EXPECT_TRUE(enabled.slot_created);
  EXPECT_TRUE(enabled.base.verified);
  commit_item("t1");
  auto point = create_restore_point(*conn_, archive_, "test");
  ASSERT_TRUE(point);
  EXPECT_THAT(point->name, ::testing::MatchesRegex("keepsake-test-[0-9]{8}T[0-9]{6}Z"));
  int64_t after_t2 = commit_item("t2");
  std::this_thread::sleep_for(50ms);
  commit_item("t3");
  stream_until_current(db_, archive_, 30s);
  bool partial = false;
  for (auto& e : fs::directory_iterator(archive_ + "/wal")) partial |= e.path().extension() == ".partial";
  EXPECT_TRUE(partial) << "the newest segment is still being filled, t3 is only in the .partial file";
  auto status = read_status(db_, archive_);
  ASSERT_EQ(status.restore_points.size(), 1u);
  EXPECT_EQ(status.restore_points[0].name, point->name);

  RecoverResult to_time;
  EXPECT_THAT(recover_items({RecoveryTarget::Kind::kTime, after_t2, ""}, &to_time), ElementsAre("t1", "t2"));
  EXPECT_EQ(to_time.migrations, 1);
  EXPECT_THAT(to_time.recovered_to, HasSubstr("recovery stopping before commit"));
  EXPECT_THAT(recover_items({RecoveryTarget::Kind::kRestorePoint, 0, point->name}), ElementsAre("t1"));
  RecoverResult latest;
  EXPECT_THAT(recover_items({RecoveryTarget::Kind::kLatest, 0, ""}, &latest), ElementsAre("t1", "t2", "t3"));
  // The recovered folder starts as an ordinary cluster (how the embedded swap will use it).
  EXPECT_THAT(items_in(latest.data_dir), ElementsAre("t1", "t2", "t3"));
  EXPECT_THROW(recover_items({RecoveryTarget::Kind::kRestorePoint, 0, "no-such-point"}), Error);
}

// A segment missing from the archive: PostgreSQL's recovery to the latest WAL stops before it and
// promotes, quietly giving an older state; given what the archive acknowledged, `--latest` refuses.
TEST_F(PitrRecoveryTest, LatestRefusesToEndBeforeWhatTheArchiveAcknowledged) {
  enable({.db = db_, .archive_dir = archive_});
  commit_item("t1");
  conn_->exec("SELECT pg_switch_wal()");
  std::string t2_segment = conn_->exec("SELECT pg_walfile_name(pg_current_wal_insert_lsn())").text(0, 0);
  commit_item("t2");
  conn_->exec("SELECT pg_switch_wal()");
  commit_item("t3");
  std::string caught_up = stream_until_current(db_, archive_, 30s);
  ASSERT_TRUE(fs::remove(archive_ + "/wal/" + t2_segment)) << t2_segment;
  EXPECT_THAT(recover_items({RecoveryTarget::Kind::kLatest, 0, ""}), ElementsAre("t1")) << "PostgreSQL's own behaviour";
  // What pitr restore passes: where the catch-up ended, and what the slot acknowledged (which may
  // lag behind: pg_receivewal reports its position every few seconds).
  std::vector<std::string> held = {caught_up, acknowledged_position(db_, archive_)};
  ASSERT_FALSE(held[1].empty());
  auto scratch_folders = restore_dir_entries();
  try {
    recover({.archive_dir = archive_, .target = {}, .database = "immich", .user = "postgres", .timeout = 60s,
             .keep = false, .reach_at_least = held});
    ADD_FAILURE() << "a --latest recovery ended before " << caught_up;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_THAT(e.what(), HasSubstr("which the archive had received: WAL is missing from the archive"));
  }
  EXPECT_EQ(restore_dir_entries(), scratch_folders) << "the refused recovery's scratch cluster is removed";
}

TEST_F(PitrRecoveryTest, AFailedRecoveryRemovesItsScratchClusterAndLeavesTheLiveDatabase) {
  enable({.db = db_, .archive_dir = archive_});
  commit_item("t1");
  stream_until_current(db_, archive_, 30s);
  // Before the base backup: refused before anything is unpacked.
  EXPECT_THROW(recover_items({RecoveryTarget::Kind::kTime, 1000000, ""}), Error);
  // After the last WAL received: PostgreSQL ends recovery before the target and stops.
  int64_t future = now_us() + 3600LL * 1000000;
  try {
    recover_items({RecoveryTarget::Kind::kTime, future, ""});
    ADD_FAILURE() << "a target past the archive must fail";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("recovery did not finish"));
    EXPECT_THAT(e.what(), HasSubstr("before configured recovery target was reached"));
  }
  // A check that fails on the recovered copy fails the recovery too.
  EXPECT_THROW(recover({.archive_dir = archive_, .target = {}, .database = "no_such_database",
                        .user = "postgres", .timeout = 60s}),
               Error);
  EXPECT_TRUE(restore_dir_entries().empty());
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM items").int64(0, 0), 1);
}

TEST_F(PitrRecoveryTest, TheSupervisedStreamFollowsTheServerAndTheStatusIsSane) {
  EXPECT_FALSE(read_status(db_, archive_).enabled);
  int64_t start = now_us();
  enable({.db = db_, .archive_dir = archive_});
  // As under serve: SIGINT and SIGTERM blocked in every thread (the child must still get them).
  sigset_t shutdown_signals, previous;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, &previous);
  WalStreamer streamer(db_, archive_);
  streamer.start();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  commit_item("t1");
  std::string target = conn_->exec("SELECT pg_current_wal_lsn()::text").text(0, 0);
  auto slot_at = [&](const std::string& lsn) {
    auto r = conn_->exec("SELECT active AND restart_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2",
                         {lsn, std::string(kSlotName)});
    return !r.empty() && r.boolean(0, 0);
  };
  bool reached = false;
  for (int i = 0; i < 100 && !(reached = slot_at(target)); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(reached) << "the slot did not follow the server within 10 s";

  auto s = read_status(db_, archive_);
  EXPECT_TRUE(s.enabled);
  EXPECT_TRUE(s.problems.empty()) << s.problems.front();
  ASSERT_TRUE(s.earliest_us && s.latest_us);
  EXPECT_GE(*s.earliest_us, start);
  EXPECT_LE(*s.earliest_us, *s.latest_us);
  EXPECT_LE(*s.latest_us, now_us());
  ASSERT_TRUE(s.lag_bytes);
  EXPECT_LT(*s.lag_bytes, 1 << 20);
  ASSERT_TRUE(s.lag_seconds);
  EXPECT_GE(*s.lag_seconds, 0);
  EXPECT_TRUE(s.slot.exists);
  EXPECT_TRUE(s.slot.active);
  EXPECT_EQ(s.slot.wal_status, "reserved");
  ASSERT_TRUE(s.last_base_backup);
  EXPECT_TRUE(s.last_base_backup->verified);
  EXPECT_GT(s.last_base_backup->size, 0u);
  EXPECT_GE(s.space_used, s.last_base_backup->size);
  EXPECT_GE(s.wal_segments, 1);

  // The server ends the stream: the supervisor starts pg_receivewal again (after 1 s).
  conn_->exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1",
              {std::string(kSlotName)});
  for (int i = 0; i < 100 && streamer.runs() < 2; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(streamer.runs(), 2) << "restarted once within 10 s";
  commit_item("t2");
  target = conn_->exec("SELECT pg_current_wal_lsn()::text").text(0, 0);
  reached = false;
  for (int i = 0; i < 100 && !(reached = slot_at(target)); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(reached) << "the restarted stream did not follow the server within 10 s";

  auto stop_started = std::chrono::steady_clock::now();
  streamer.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 5s) << "pg_receivewal ignored SIGINT";
  EXPECT_EQ(streamer.runs(), 2);
  auto active = [&] {
    return conn_->exec("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {std::string(kSlotName)})
        .boolean(0, 0);
  };
  for (int i = 0; i < 50 && active(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(active());
  conn_->exec("SELECT pg_drop_replication_slot($1)", {std::string(kSlotName)});
  auto lost = read_status(db_, archive_);
  ASSERT_FALSE(lost.problems.empty());
  EXPECT_THAT(lost.problems.front(), HasSubstr("does not exist"));
}

TEST_F(PitrRecoveryTest, TheCommandLineSaysWhatIsMissingThenEnablesAndReportsJson) {
  conn_->exec("CREATE ROLE archivist LOGIN PASSWORD 'not-a-secret'");
  auto tcp = db_;
  tcp.host = "127.0.0.1";
  tcp.user = "archivist";
  tcp.password = "not-a-secret";
  auto readiness = check_readiness(tcp);
  EXPECT_THAT(readiness.missing, ElementsAre("ALTER ROLE \"archivist\" WITH REPLICATION;"));
  EXPECT_THAT(readiness.recommended, ::testing::Contains(HasSubstr("pg_create_restore_point")));

  std::map<std::string, std::string> env = {{"KEEPSAKE_DATA_DIR", dir_.path() + "/data"},
                                            {"IMMICH_MEDIA_LOCATION", dir_.path()}};
  env["DB_URL"] = "postgresql://archivist:not-a-secret@127.0.0.1:" + std::to_string(port_) + "/immich";
  {
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), {"pitr", "enable"});
    EXPECT_NE(p.wait_exit(60), 0);
    EXPECT_THAT(p.stderr_text(), HasSubstr("ALTER ROLE \"archivist\" WITH REPLICATION;"));
    EXPECT_THAT(p.stderr_text(), ::testing::Not(HasSubstr("not-a-secret")));
    EXPECT_FALSE(is_enabled(dir_.path() + "/data/pitr"));
  }
  conn_->exec("ALTER ROLE archivist WITH REPLICATION");
  EXPECT_TRUE(check_readiness(tcp).ok());

  env["DB_URL"] = "postgresql://postgres@localhost/immich?host=" + pg_->socket_dir() + "&port=" + std::to_string(port_);
  {
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), {"pitr", "enable", "--location", archive_});
    ASSERT_EQ(p.wait_exit(120), 0) << p.stderr_text();
    EXPECT_THAT(p.stdout_text(), HasSubstr("PITR enabled"));
  }
  keepsake::testing::KeepsakeProcess p(env, dir_.path(), {"pitr", "status", "--json"});
  int code = p.wait_exit(60);
  auto j = nlohmann::json::parse(p.stdout_text());
  // Nothing streams between these commands (no serve): once the server has written a whole WAL
  // segment since the enable, that is rightly reported as an idle slot (exit 3), and nothing else.
  for (const auto& kind : j["problemKinds"]) EXPECT_EQ(kind, "slot-idle") << p.stdout_text();
  EXPECT_EQ(code, j["problemKinds"].empty() ? 0 : 3) << p.stderr_text();
  EXPECT_EQ(j["enabled"], true);
  EXPECT_EQ(j["archive"], archive_);
  EXPECT_TRUE(j["earliestRecoverable"].is_string());
  EXPECT_TRUE(j["lagBytes"].is_number());
  EXPECT_EQ(j["lastBaseBackup"]["verified"], true);
}

TEST(PitrText, AutoEnableIsOnUnlessStrictlyFalse) {
  EXPECT_TRUE(auto_enable_requested({}));
  EXPECT_TRUE(auto_enable_requested({{"KEEPSAKE_PITR_AUTO_ENABLE", "true"}}));
  EXPECT_FALSE(auto_enable_requested({{"KEEPSAKE_PITR_AUTO_ENABLE", "false"}}));
  for (const char* bad : {"off", "0", "no"}) {
    try {
      auto_enable_requested({{"KEEPSAKE_PITR_AUTO_ENABLE", bad}});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("KEEPSAKE_PITR_AUTO_ENABLE"), std::string::npos) << e.what();
    }
  }
}

TEST(PitrText, Iso8601RoundTripsAndAcceptsOffsets) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:01Z"), 1000000);
  EXPECT_EQ(parse_iso8601("2026-12-04T19:00:00+01:00"), parse_iso8601("2026-12-04T18:00:00Z"));
  EXPECT_EQ(parse_iso8601("2026-12-04T18:00:00.25Z") - parse_iso8601("2026-12-04T18:00:00Z"), 250000);
  EXPECT_EQ(format_iso8601(parse_iso8601("2026-12-04T18:00:00.000123Z")), "2026-12-04T18:00:00.000123Z");
  EXPECT_THROW(parse_iso8601("2026-12-04 18:00"), Error);
  EXPECT_THROW(parse_iso8601("2026-12-04T18:00:00"), Error);  // no zone
  EXPECT_THROW(parse_iso8601("2026-13-04T18:00:00Z"), Error);
}

TEST(PitrText, LsnsSegmentsAndGaps) {
  EXPECT_EQ(parse_lsn("0/3000148"), 0x3000148u);
  EXPECT_EQ(parse_lsn("1/0"), 0x100000000u);
  EXPECT_FALSE(parse_lsn("0/"));
  EXPECT_FALSE(parse_lsn("x/1"));
  std::vector<Segment> segs = {{1, 3, false, "", 0}, {1, 4, false, "", 0}, {1, 6, true, "", 0}};
  EXPECT_EQ(first_gap(segs, 3), 5u);
  EXPECT_EQ(first_gap(segs, 6), std::nullopt);
  segs[2].number = 5;
  EXPECT_EQ(first_gap(segs, 3), std::nullopt);
  // After a restore's switch to timeline 2 in segment 5: timeline 1 up to 4, its unfinished 5,
  // then timeline 2 from 5 on.
  std::vector<Segment> switched = {{1, 3, false, "", 0}, {1, 4, false, "", 0}, {1, 5, true, "", 0},
                                   {2, 5, false, "", 0}, {2, 6, true, "", 0}};
  EXPECT_EQ(first_gap(switched, 3), std::nullopt);
  switched[3].partial = true;  // neither timeline completed 5
  EXPECT_EQ(first_gap(switched, 3), 5u);
  EXPECT_EQ(restore_point_name("restore", std::chrono::system_clock::from_time_t(0)), "keepsake-restore-19700101T000000Z");
}

}  // namespace
}  // namespace keepsake::pitr
