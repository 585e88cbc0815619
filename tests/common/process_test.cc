#include "common/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace keepsake {
namespace {

// Whether `pid` still runs (a zombie waiting for its new parent to reap it has ended).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto state_at = line.rfind(')') + 2;
  return state_at < line.size() && line[state_at] != 'Z' && line[state_at] != 'X';
}

bool ends_within(pid_t pid, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (running(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A process of its own (Keepsake) starts `sleep 60` through run_process_streaming and is then
// killed with -9; returns the sleep's pid.
pid_t orphan_a_sleep(const std::optional<RunAs>& run_as) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  pid_t keepsake = fork();
  if (keepsake == 0) {
    close(pipe_fds[0]);
    ProcessOptions o{.argv = {"sleep", "60"}, .env = minimal_environment(), .run_as = run_as};
    try {
      run_process_streaming(o, [](std::string_view) {}, [&](pid_t child) {
        (void)!write(pipe_fds[1], &child, sizeof child);
      });
    } catch (...) {
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  pid_t child = -1;
  bool got = read(pipe_fds[0], &child, sizeof child) == sizeof child;
  close(pipe_fds[0]);
  kill(keepsake, SIGKILL);
  waitpid(keepsake, nullptr, 0);
  return got ? child : -1;
}

TEST(Process, AChildEndsWhenKeepsakeIsKilledInsteadOfRunningOnAsAnOrphan) {
  pid_t sleep_pid = orphan_a_sleep(std::nullopt);
  ASSERT_GT(sleep_pid, 0);
  EXPECT_TRUE(ends_within(sleep_pid, std::chrono::seconds(10))) << "sleep " << sleep_pid << " outlived its parent";
  if (running(sleep_pid)) kill(sleep_pid, SIGKILL);
}

// The request for a signal is cleared by a change of user: PostgreSQL's tools (pg_dump,
// pg_basebackup, pg_receivewal) run as the postgres user when Keepsake runs as root.
TEST(Process, AChildRunAsAnotherUserAlsoEndsWithKeepsake) {
  auto postgres = postgres_run_as();
  if (!postgres) GTEST_SKIP() << "runs only as root (as CI does)";
  pid_t sleep_pid = orphan_a_sleep(postgres);
  ASSERT_GT(sleep_pid, 0);
  EXPECT_TRUE(ends_within(sleep_pid, std::chrono::seconds(10))) << "sleep " << sleep_pid << " outlived its parent";
  if (running(sleep_pid)) kill(sleep_pid, SIGKILL);
}

}  // namespace
}  // namespace keepsake
