// `keepsake pitr restore` of the embedded cluster (no DB_URL), through the real binary: the
// recovered data folder replaces the cluster's. Killed with -9 at each phase, the library is the
// old one up to the second rename of the swap (a missing data folder is put back by the next
// start) and the restored one from then on; the run again restores to a time between t2 and t3.
// Then the archive follows the new timeline: a row committed after the restore comes back with
// `--latest`, with no gap reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "db/embedded_postgres.h"
#include "harness/keepsake_process.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"
#include "restore/pitr_restore.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

using PitrEmbeddedTest = keepsake::testing::PitrEmbeddedTest;

int folders_named(const std::string& dir, const std::string& prefix) {
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().rfind(prefix, 0) == 0;
  return n;
}

TEST_F(PitrEmbeddedTest, ReplacesTheDataFolderAKillAtAnyPhaseLeavesALibraryAndTheArchiveFollowsTheNewTimeline) {
  make_immich_database();
  const std::string archive = data_dir() + "/pitr";
  enable({.db = db_, .archive_dir = archive});
  commit_user("t1");
  int64_t after_t2 = commit_user("t2");
  std::this_thread::sleep_for(50ms);
  commit_user("t3");
  conn_.reset();

  auto env = keepsake_env();
  std::vector<std::string> args = {"pitr", "restore", "--to", format_iso8601(after_t2), "--yes"};
  std::vector<std::pair<std::string_view, std::vector<std::string>>> kills = {
      {restore::kPitrRestorePhases[0], {"t1", "t2", "t3"}},
      {restore::kPitrRestorePhases[1], {"t1", "t2", "t3"}},
      {db::kEmbeddedSwapPhases[0], {"t1", "t2", "t3"}},
      {db::kEmbeddedSwapPhases[1], {"t1", "t2", "t3"}},
      {db::kEmbeddedSwapPhases[2], {"t1", "t2"}},
      {restore::kPitrRestorePhases[2], {"t1", "t2"}}};
  ASSERT_EQ(std::size(db::kEmbeddedSwapPhases), 3u) << "a new phase needs its kill here";
  for (auto& [phase, live] : kills) {
    env["KEEPSAKE_FAULT"] = std::string(phase) + ":kill";
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
    p.wait_exit(180);
    ASSERT_EQ(p.term_signal(), SIGKILL) << "not killed at " << phase << ":\n" << p.stderr_text();
    pg_->start();  // as the next keepsake command, or serve's watchdog, would
    EXPECT_EQ(live_users(), live) << phase;
  }
  env.erase("KEEPSAKE_FAULT");
  {
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
    ASSERT_EQ(p.wait_exit(180), 0) << p.stderr_text();
    EXPECT_THAT(p.stdout_text(), HasSubstr("(data folder)."));
    EXPECT_THAT(p.stdout_text(), HasSubstr("The previous database is kept as " + data_dir() + "/postgres/data.before-pitr-"));
    EXPECT_THAT(p.stdout_text(), HasSubstr("recovery stopping before commit"));
  }
  EXPECT_THAT(live_users(), ElementsAre("t1", "t2"));
  EXPECT_EQ(folders_named(data_dir() + "/postgres", "pitr-restore-"), 0) << "a scratch cluster was left";
  EXPECT_GE(folders_named(data_dir() + "/postgres", "data.before-pitr-"), 1);
  {
    auto conn = db::Connection::open(db_);
    EXPECT_EQ(conn->exec("SHOW default_transaction_read_only").text(0, 0), "off") << "the write fence was lifted";
    EXPECT_EQ(conn->exec("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", {std::string(kSlotName)})
                  .int64(0, 0),
              1);
  }
  // The undone history (t3's WAL) is set aside, and the archive goes on along the new timeline.
  EXPECT_TRUE(fs::exists(archive + "/abandoned"));
  conn_ = db::Connection::open(db_);
  commit_user("t4");
  conn_.reset();
  auto status = read_status(db_, archive);
  EXPECT_TRUE(status.problems.empty()) << status.problems.front();
  {
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), {"pitr", "restore", "--latest", "--yes"});
    ASSERT_EQ(p.wait_exit(180), 0) << p.stderr_text();
    EXPECT_THAT(live_users(), ElementsAre("t1", "t2", "t4")) << p.stdout_text() << p.stderr_text();
  }
  status = read_status(db_, archive);
  EXPECT_TRUE(status.problems.empty()) << status.problems.front();
  {
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), {"restore", "cleanup"});
    ASSERT_EQ(p.wait_exit(120), 0) << p.stderr_text();
    EXPECT_THAT(p.stdout_text(), HasSubstr("Removed " + data_dir() + "/postgres/data.before-pitr-"));
  }
  EXPECT_EQ(folders_named(data_dir() + "/postgres", "data.before-pitr-"), 0);
  EXPECT_THAT(live_users(), ElementsAre("t1", "t2", "t4"));
}

}  // namespace
}  // namespace keepsake::pitr
