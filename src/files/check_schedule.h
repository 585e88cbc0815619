// The scheduled `restic check` of the files repositories (issue 18): at each tick of
// files.check.cronExpression (keepsake-config, default Sunday 05:00) the instance that claims the
// tick checks every configured repository's structure and reads one part of its packs' data
// (--read-data-subset n/t). The parts rotate with the ticks, so every pack is read once in
// files.check.fullReadDays (28). It runs under the FilesBackup lock (a tick that finds a files
// backup running is skipped): restic check needs the repository to itself, and a files backup's
// retention prunes. A repository found damaged, or one
// that cannot be checked (locked, unreachable, wrong password), gives one error line and the
// admin's failed-job notification (job "FilesCheck"); the others are still checked. Reads the
// repositories only; must never run a tick twice.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/cron_loop.h"
#include "config/config.h"
#include "files/files_service.h"

namespace keepsake::files {

// The n-th of t parts of the packs' data, restic's "n/t".
struct CheckPart {
  int n = 1, t = 1;
  std::string subset() const { return std::to_string(n) + "/" + std::to_string(t); }
};
// The part the check at `tick` reads: t is the number of ticks of `cron` in the full_read_days
// from `tick` (1..1000), and n the slot of full_read_days / t that `tick` falls in, counted from
// the epoch, so consecutive ticks of a regular schedule read consecutive parts. Pure.
CheckPart check_part(const std::string& cron, int full_read_days, std::chrono::system_clock::time_point tick);

struct RepositoryCheckOutcome {
  std::string repository;  // as shown
  bool ok = false;
  std::string error;       // "" when it passed
};

class CheckScheduler {
 public:
  CheckScheduler(DatabaseConfig db, FilesSettings settings,
                 std::chrono::milliseconds config_poll = std::chrono::seconds(60));
  ~CheckScheduler() { stop(); }
  CheckScheduler(const CheckScheduler&) = delete;
  CheckScheduler& operator=(const CheckScheduler&) = delete;

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  // One tick, as the thread runs it: each repository's outcome, or nullopt when it did not run
  // (switched off, no repository, a files backup running, or this tick ran on another instance).
  // Never throws.
  std::optional<std::vector<RepositoryCheckOutcome>> run_tick(std::chrono::system_clock::time_point tick);

 private:
  DatabaseConfig db_;
  FilesSettings settings_;
  CronLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace keepsake::files
