// The embedded cluster's data-folder swap (EmbeddedPostgres::replace_data), on real clusters: the
// other folder goes live and the old one is kept; one that does not start is put back and the old
// one runs again; a swap killed between its renames is rolled back by the next start; the
// watchdog leaves the cluster alone while the swap holds it. The kills of the real binary at each
// phase are in tests/pitr/pitr_embedded_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "db/connection.h"
#include "db/embedded_postgres.h"
#include "db/embedded_swap.h"
#include "db/embedded_watchdog.h"
#include "harness/keepsake_process.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

class EmbeddedSwapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::permissions(dir_.path(), fs::perms::others_exec, fs::perm_options::add);
    pg_ = std::make_unique<EmbeddedPostgres>(options(dir_.path() + "/pg"));
    pg_->start();
    Connection::open(pg_->connection_config())->exec("CREATE TABLE kept AS SELECT 1 AS v");
  }
  void TearDown() override {
    if (pg_) pg_->stop();
  }
  static EmbeddedOptions options(const std::string& cluster_dir) {
    EmbeddedOptions o;
    o.cluster_dir = cluster_dir;
    o.port = keepsake::testing::free_port();
    o.throwaway = true;
    return o;
  }
  // A stopped cluster of its own inside the live one's folder (the same filesystem), whose table
  // holds `value`; returns its data folder.
  std::string other_cluster(int value) {
    EmbeddedPostgres other(options(dir_.path() + "/pg/other"));
    other.start();
    Connection::open(other.connection_config())->exec("CREATE TABLE kept AS SELECT " + std::to_string(value) + " AS v");
    other.stop();
    return other.data_dir();
  }
  int64_t live_value() {
    return Connection::open(pg_->connection_config())->exec("SELECT v FROM kept").int64(0, 0);
  }

  TempDir dir_;
  std::unique_ptr<EmbeddedPostgres> pg_;
};

TEST_F(EmbeddedSwapTest, TheOtherDataFolderGoesLiveAndTheOldOneIsKeptWhileTheWatchdogWaits) {
  std::string incoming = other_cluster(2);
  EmbeddedWatchdog watchdog(*pg_, std::chrono::milliseconds(50), std::chrono::milliseconds(100));
  watchdog.start();
  pg_->replace_data(incoming, "data.before-test");
  EXPECT_EQ(live_value(), 2);
  EXPECT_TRUE(fs::exists(dir_.path() + "/pg/data.before-test/PG_VERSION"));
  EXPECT_FALSE(fs::exists(incoming));
  EXPECT_FALSE(fs::exists(pg_->swap_journal()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  watchdog.stop();
  EXPECT_EQ(watchdog.restarts(), 0) << "the watchdog started the cluster during the swap: " << watchdog.last_problem();
  EXPECT_EQ(watchdog.last_problem(), "");
  EXPECT_THROW(pg_->replace_data(other_cluster(3), "data.before-test"), Error) << "the kept folder is never replaced";
  EXPECT_EQ(live_value(), 2);
}

TEST_F(EmbeddedSwapTest, ADataFolderThatDoesNotStartIsPutBackAndTheOldOneRunsAgain) {
  std::string incoming = other_cluster(2);
  std::ofstream(incoming + "/postgresql.conf", std::ios::app) << "shared_buffers = 'a lot'\n";
  try {
    pg_->replace_data(incoming, "data.before-test");
    FAIL() << "a data folder that cannot start went live";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("did not go live"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("as it was"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(live_value(), 1);
  EXPECT_TRUE(fs::exists(incoming + "/PG_VERSION")) << "the new folder is left where it was";
  EXPECT_FALSE(fs::exists(dir_.path() + "/pg/data.before-test"));
  EXPECT_FALSE(fs::exists(pg_->swap_journal()));
}

TEST_F(EmbeddedSwapTest, AStartPutsBackTheDataFolderThatASwapKilledBetweenItsRenamesHadSetAside) {
  pg_->stop();
  // What a swap killed right after its first rename leaves: the journal, no data/.
  std::ofstream(pg_->swap_journal()) << R"({"previous": "data.before-test", "incoming": "/nonexistent"})";
  fs::rename(pg_->data_dir(), dir_.path() + "/pg/data.before-test");
  pg_->start();
  EXPECT_EQ(live_value(), 1) << "the start made a new cluster instead of putting the old one back";
  EXPECT_FALSE(fs::exists(dir_.path() + "/pg/data.before-test"));
  EXPECT_FALSE(fs::exists(pg_->swap_journal()));

  // Killed after its second rename: the new folder stays live.
  std::string incoming = other_cluster(2);
  pg_->stop();
  std::ofstream(pg_->swap_journal()) << R"({"previous": "data.before-test", "incoming": ")" + incoming + "\"}";
  fs::rename(pg_->data_dir(), dir_.path() + "/pg/data.before-test");
  fs::rename(incoming, pg_->data_dir());
  pg_->start();
  EXPECT_EQ(live_value(), 2);
  EXPECT_TRUE(fs::exists(dir_.path() + "/pg/data.before-test/PG_VERSION"));
  EXPECT_FALSE(fs::exists(pg_->swap_journal()));
}

TEST_F(EmbeddedSwapTest, TheClusterIsBusyExactlyWhileSomeoneHoldsItsLock) {
  EXPECT_FALSE(pg_->busy());
  {
    ClusterLock lock(pg_->options().cluster_dir);
    EXPECT_TRUE(pg_->busy());
  }
  EXPECT_FALSE(pg_->busy());
}

}  // namespace
}  // namespace keepsake::db
