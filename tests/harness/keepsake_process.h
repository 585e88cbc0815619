// The `keepsake` binary as a child process for tests that need the real thing (serve, restore,
// crash tests): exactly the environment given (plus PATH), stdout and stderr to files, bounded
// waits on its log and its exit. Killed (SIGKILL) when the object goes away.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>
#include "harness/paths.h"

namespace keepsake::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
std::string read_file(const std::string& path);

class KeepsakeProcess {
 public:
  KeepsakeProcess(const std::map<std::string, std::string>& env, const std::string& dir,
                  std::vector<std::string> args = {"serve"}, const std::string& binary = keepsake_binary());
  ~KeepsakeProcess();
  KeepsakeProcess(const KeepsakeProcess&) = delete;
  KeepsakeProcess& operator=(const KeepsakeProcess&) = delete;

  // Waits (bounded) until stderr contains `text`; false if the process exits first.
  bool wait_for_log(const std::string& text, int seconds = 180);
  // Waits (bounded) for the exit; the exit code, or -1 after a signal or the timeout.
  int wait_exit(int seconds = 120);
  // The signal that ended it (0 when it exited or still runs).
  int term_signal() const;
  void signal(int sig);
  pid_t pid() const { return pid_; }
  std::string stdout_text() const { return read_file(out_); }
  std::string stderr_text() const { return read_file(err_); }

 private:
  bool poll_exit();
  static inline int count_ = 0;
  std::string out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

}  // namespace keepsake::testing
