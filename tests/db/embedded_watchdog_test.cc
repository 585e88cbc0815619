// The embedded cluster's own disk filling up (issue 20, disk faults): PostgreSQL PANICs on a WAL
// write and shuts down; the watchdog says why and starts it again once space is freed, with every
// committed row still there. On a real small tmpfs (root only, like the other disk-fault tests).
#include "db/embedded_watchdog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "db/connection.h"
#include "harness/keepsake_process.h"
#include "harness/test_cluster.h"
#include "storage/fs_helpers.h"

namespace keepsake::db {
namespace {

namespace fs = std::filesystem;
using keepsake::storage::testing::SmallDisk;
using keepsake::testing::TempDir;

template <typename Pred>
bool within(int seconds, Pred pred) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool answers(const EmbeddedPostgres& pg) {
  try {
    return Connection::open(pg.connection_config())->exec("SELECT count(*) FROM kept").int64(0, 0) == 1;
  } catch (const std::exception&) {
    return false;
  }
}

TEST(EmbeddedWatchdogTest, AFullDiskStopsPostgresAndFreeingSpaceBringsItBackWithItsRows) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);
  SmallDisk disk(dir.path() + "/disk", "160m");
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a tmpfs";
  fs::permissions(dir.path() + "/disk", fs::perms::others_exec, fs::perm_options::add);
  EmbeddedOptions o;
  o.cluster_dir = dir.path() + "/disk/pg";
  o.port = keepsake::testing::free_port();
  o.throwaway = true;  // fsync = off changes nothing here: the disk is full, not the machine down
  EmbeddedPostgres pg(o);
  pg.start();
  Connection::open(pg.connection_config())->exec("CREATE TABLE kept AS SELECT 1 AS v");
  EmbeddedWatchdog watchdog(pg, std::chrono::milliseconds(100), std::chrono::milliseconds(500));
  watchdog.start();

  const std::string filler = dir.path() + "/disk/filler";
  {
    std::ofstream f(filler, std::ios::binary);
    std::string block(1 << 20, 'x');
    while (disk.free_bytes() > (4u << 20) && f.write(block.data(), block.size())) {
    }
  }
  try {
    Connection::open(pg.connection_config())
        ->exec("CREATE TABLE fill AS SELECT repeat(md5(i::text), 30) FROM generate_series(1, 200000) i");
    ADD_FAILURE() << "the disk did not fill";
  } catch (const std::exception& e) {
    std::string what = e.what();  // the write failed (53100 disk full), or the server PANICked
    EXPECT_TRUE(what.find("No space left on device") != std::string::npos ||
                what.find("53100") != std::string::npos ||
                what.find("server closed the connection") != std::string::npos)
        << what;
  }
  // The next WAL write PANICs the server (a checkpoint, or the next commit).
  for (int i = 0; i < 50 && pg.postmaster_alive(); ++i) {
    try {
      Connection::open(pg.connection_config())->exec("CHECKPOINT");
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(within(30, [&] { return !watchdog.last_problem().empty(); }))
      << "the server never stopped, or the watchdog never noticed";
  EXPECT_NE(watchdog.last_problem().find("No space left on device"), std::string::npos)
      << watchdog.last_problem();
  EXPECT_NE(watchdog.last_problem().find("MiB free on the disk of"), std::string::npos);

  fs::remove(filler);
  EXPECT_TRUE(within(60, [&] { return answers(pg); }))
      << "not back 60 s after the space was freed: " << watchdog.last_problem();
  EXPECT_TRUE(within(10, [&] { return watchdog.restarts() >= 1; }));
  watchdog.stop();
  pg.stop();
  EXPECT_FALSE(pg.postmaster_alive());
}

TEST(EmbeddedWatchdogTest, TheCauseIsTheLastPanicElseTheLastRealFatalLine) {
  TempDir dir;
  std::string log = dir.path() + "/postgres.log";
  std::ofstream(log) << "LOG:  started\n"
                     << "FATAL:  could not open file \"x\": Permission denied\n"
                     << "PANIC:  could not write to file \"pg_wal/xlogtemp.1\": No space left on device\n"
                     << "FATAL:  the database system is in recovery mode\n";
  EXPECT_EQ(last_server_failure(log),
            "PANIC:  could not write to file \"pg_wal/xlogtemp.1\": No space left on device");
  std::ofstream(log) << "FATAL:  could not open file \"x\": Permission denied\n"
                     << "FATAL:  the database system is shutting down\n";
  EXPECT_EQ(last_server_failure(log), "FATAL:  could not open file \"x\": Permission denied");
  EXPECT_EQ(last_server_failure(dir.path() + "/missing.log"), "");
}

}  // namespace
}  // namespace keepsake::db
