// Runs other programs (initdb, pg_ctl, pg_dump, psql) without a shell: argv is passed as is,
// the environment is exactly what the caller gives (pass secrets only through it, never argv),
// and the child can run as another user (PostgreSQL refuses to run as root).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keepsake {

struct RunAs {
  uid_t uid;
  gid_t gid;
  std::string name;
};

struct ProcessOptions {
  std::vector<std::string> argv;              // argv[0] is the program (absolute, or found in PATH)
  std::map<std::string, std::string> env;     // the child's whole environment
  std::optional<RunAs> run_as;
  std::string cwd;                            // empty = inherit
  std::string stdin_file;                     // empty = /dev/null
  std::string stdout_file;                    // empty = captured
  bool append_stdout = false;
};

struct ProcessResult {
  int exit_code = -1;     // -1 when killed by a signal
  int signal = 0;
  std::string out;        // captured stdout (when not redirected), at most 1 MiB kept
  std::string err;        // captured stderr, at most 64 KiB kept
  bool ok() const { return exit_code == 0; }
};

// Every child gets SIGTERM when the thread that started it dies (a killed Keepsake), instead of
// running on as an orphan: a pg_dump left behind would hold its locks on the live database (and so
// block Immich's migrations), a restic or pg_receivewal would keep its repository or slot busy.
// The calls below block that thread until the child ends, so only a dead Keepsake triggers it.
// (pg_ctl's postmaster is not a child of Keepsake and outlives it, as the embedded cluster must.)

// Runs to completion. Throws Error(kIo) only when the program cannot be started.
ProcessResult run_process(const ProcessOptions& options);

// Runs to completion, handing the child's stdout to `sink` chunk by chunk as it arrives (the
// output is never collected; options.stdout_file is ignored). `on_started` gets the child's pid.
// If sink throws, the child is killed (SIGKILL) and reaped, then the exception propagates.
// Throws Error(kIo) when the program cannot be started.
ProcessResult run_process_streaming(const ProcessOptions& options,
                                    const std::function<void(std::string_view)>& sink,
                                    const std::function<void(pid_t)>& on_started = {});

// In a forked child, after it took its user and before exec: asks for SIGTERM when the parent
// thread dies (async-signal-safe; exits when `parent`, the pid before the fork, is already gone).
// After the user change, since changing credentials clears the request.
void end_with_parent(pid_t parent);

// A minimal environment (PATH, LANG=C.UTF-8, HOME=/nonexistent) plus `extra`.
std::map<std::string, std::string> minimal_environment(
    const std::map<std::string, std::string>& extra = {});

// The unprivileged account PostgreSQL runs as when Keepsake runs as root ("postgres"); nullopt
// when Keepsake does not run as root. Throws when root and no such account exists.
std::optional<RunAs> postgres_run_as();

// Recursively hands a folder to a user (chown -R), used before PostgreSQL runs as that user.
void chown_recursive(const std::string& path, const RunAs& user);

}  // namespace keepsake
