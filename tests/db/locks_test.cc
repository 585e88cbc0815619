#include "db/locks.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

using keepsake::testing::DatabaseTest;
using namespace std::chrono_literals;

class LocksTest : public DatabaseTest {};

TEST_F(LocksTest, TryLockFailsWhileAnotherSessionHoldsIt) {
  auto held = try_lock(db_config_, DatabaseLock::NightlyJobs);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(try_lock(db_config_, DatabaseLock::NightlyJobs), nullptr);
  EXPECT_NE(try_lock(db_config_, DatabaseLock::BackupDatabase), nullptr);
  EXPECT_TRUE(is_lock_held_elsewhere(*conn_, DatabaseLock::NightlyJobs));
  held.reset();
  EXPECT_FALSE(is_lock_held_elsewhere(*conn_, DatabaseLock::NightlyJobs));
  EXPECT_NE(try_lock(db_config_, DatabaseLock::NightlyJobs), nullptr);
}

TEST_F(LocksTest, UsesImmichLockNumbers) {
  auto held = try_lock(db_config_, DatabaseLock::Migrations);
  ASSERT_NE(held, nullptr);
  auto r = conn_->exec(
      "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND pid = $1",
      {std::to_string(held->connection().backend_pid())});
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.int64(0, 0), 200);
}

// Two processes contend for one lock: the second waits, logs that it waits, and proceeds after
// the first releases; meanwhile try_lock returns false.
TEST_F(LocksTest, SecondProcessWaitsAndLogsThenProceeds) {
  int to_child[2], from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child process: take the lock, report, hold until told to release.
    int code = 0;
    try {
      with_lock(db_config_, DatabaseLock::MediaLocation, [&](Connection&) {
        char c = 'L';
        if (write(from_child[1], &c, 1) != 1) code = 3;
        if (read(to_child[0], &c, 1) != 1) code = 4;
      });
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  char c;
  ASSERT_EQ(read(from_child[0], &c, 1), 1);
  EXPECT_EQ(try_lock(db_config_, DatabaseLock::MediaLocation), nullptr);

  std::ostringstream log_stream;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_stream);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));

  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    LockWaitOptions o;
    o.log_every = 100ms;
    with_lock(db_config_, DatabaseLock::MediaLocation, [&](Connection&) { acquired = true; }, o);
  });
  std::this_thread::sleep_for(600ms);
  EXPECT_FALSE(acquired.load());
  c = 'R';
  ASSERT_EQ(write(to_child[1], &c, 1), 1);
  waiter.join();
  spdlog::set_default_logger(previous);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(acquired.load());
  EXPECT_NE(log_stream.str().find("Waiting for database lock MediaLocation (700)"), std::string::npos)
      << log_stream.str();
  EXPECT_NE(try_lock(db_config_, DatabaseLock::MediaLocation), nullptr);
}

// A restore's swap terminates the session holding lock 621: releasing it afterwards is quiet
// (the session's end released the lock; the server's goodbye is not a warning).
TEST_F(LocksTest, ALockWhoseSessionWasTerminatedIsReleasedQuietly) {
  auto held = try_lock(db_config_, DatabaseLock::MaintenanceOperation);
  ASSERT_NE(held, nullptr);
  conn_->exec("SELECT pg_terminate_backend($1::int)", {std::to_string(held->connection().backend_pid())});
  std::this_thread::sleep_for(200ms);
  std::ostringstream log_stream;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_stream)));
  held.reset();
  spdlog::set_default_logger(previous);
  EXPECT_EQ(log_stream.str(), "");
  EXPECT_NE(try_lock(db_config_, DatabaseLock::MaintenanceOperation), nullptr);
}

TEST_F(LocksTest, WithLockReleasesWhenTheBodyThrows) {
  EXPECT_THROW(with_lock(db_config_, DatabaseLock::VersionCheck,
                         [](Connection&) { throw Error(ErrorKind::kInternal, "boom"); }),
               Error);
  EXPECT_NE(try_lock(db_config_, DatabaseLock::VersionCheck), nullptr);
}

TEST_F(LocksTest, WaitingCanTimeOut) {
  auto held = try_lock(db_config_, DatabaseLock::Library);
  LockWaitOptions o;
  o.timeout = 200ms;
  try {
    with_lock(db_config_, DatabaseLock::Library, [](Connection&) {}, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
  }
}

}  // namespace
}  // namespace keepsake::db
