// `keepsake pitr restore` swapped into the live database, through the real binary: killed with
// -9 at each phase of a PITR restore (up to the swap the live database stays as it was; right
// after it, it is the restored one), then restored to a time between t2 and t3 (exactly the t1
// and t2 rows are live). One cluster and one archive for all five runs; each run but the first
// recovers the archive (about 8 s under load), hence the test's length.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

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

using PitrSwapTest = keepsake::testing::PitrImmichTest;

TEST_F(PitrSwapTest, SwapsATimeIntoTheLiveDatabaseAndAKillAtAnyPhaseLeavesItAsItWas) {
  make_immich_database();
  std::string data_dir = dir_.path() + "/data";
  enable({.db = db_, .archive_dir = data_dir + "/pitr"});
  commit_user("t1");
  int64_t after_t2 = commit_user("t2");
  std::this_thread::sleep_for(50ms);
  commit_user("t3");
  conn_.reset();  // a client the restore could neither tell nor fence

  std::map<std::string, std::string> env = {
      {"KEEPSAKE_DATA_DIR", data_dir},
      {"IMMICH_MEDIA_LOCATION", dir_.path()},
      {"DB_URL", "postgresql://postgres@localhost/immich?host=" + pg_->socket_dir() + "&port=" + std::to_string(port_)}};
  std::vector<std::string> args = {"pitr", "restore", "--to", format_iso8601(after_t2), "--yes"};
  // Every phase of restore::kPitrRestorePhases, and the loader's last one before its swap (its own
  // phases have the restore fault matrix). Up to the swap the live library is as it was; killed
  // right after it, the library is the restored one.
  std::vector<std::pair<std::string_view, std::vector<std::string>>> kills = {
      {restore::kPitrRestorePhases[0], {"t1", "t2", "t3"}},
      {restore::kPitrRestorePhases[1], {"t1", "t2", "t3"}},
      {"restore.before-swap", {"t1", "t2", "t3"}},
      {restore::kPitrRestorePhases[2], {"t1", "t2"}}};
  ASSERT_EQ(std::size(restore::kPitrRestorePhases), 3u) << "a new phase needs its kill here";
  for (auto& [phase, live] : kills) {
    env["KEEPSAKE_FAULT"] = std::string(phase) + ":kill";
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
    p.wait_exit(180);
    ASSERT_EQ(p.term_signal(), SIGKILL) << "not killed at " << phase << ":\n" << p.stderr_text();
    EXPECT_EQ(live_users(), live) << phase;
  }
  env.erase("KEEPSAKE_FAULT");
  keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
  ASSERT_EQ(p.wait_exit(180), 0) << p.stderr_text();
  EXPECT_THAT(p.stdout_text(), HasSubstr("The previous database is kept as immich_before_restore_"));
  EXPECT_THAT(p.stdout_text(), HasSubstr("recovery stopping before commit"));
  EXPECT_THAT(live_users(), ElementsAre("t1", "t2"));
  // The killed runs' scratch clusters and this run's are gone; nothing of the dump is on disk.
  EXPECT_TRUE(fs::is_empty(data_dir + "/pitr/restore"));
  auto conn = db::Connection::open(db_);
  EXPECT_EQ(conn->exec("SELECT count(*) FROM pg_database WHERE datname LIKE 'immich_restore_%'").int64(0, 0), 0);
  EXPECT_EQ(conn->exec("SHOW default_transaction_read_only").text(0, 0), "off") << "the write fence was lifted";
}

}  // namespace
}  // namespace keepsake::pitr
