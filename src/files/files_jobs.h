// The files backup as Keepsake runs it unattended: the scheduled run (right after each scheduled
// database backup by default, or on its own cron from keepsake-config's files.backup), under its
// own advisory lock FilesBackup so two servers on one database make one snapshot, never when no
// repository is configured, and with each failure logged as one line and sent to the admin as
// the failed-backup notification. Also the background tasks the web pages start (a files backup,
// a storage verification) and their progress. Must never run two files backups at once, and
// never run restic when no repository was set up.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "common/cron_loop.h"
#include "config/config.h"
#include "files/files_service.h"

namespace keepsake::files {

enum class FilesJobOutcome {
  kDone,
  kNoRepository,  // nothing is set up: not run, not an error
  kBusy,          // another instance holds the FilesBackup lock
  kTickDone,      // another instance already ran this cron tick
  kSomeRepositoriesFailed,  // made in at least one repository; each failed one was notified
};

struct FilesJobOptions {
  DatabaseConfig db;
  FilesSettings settings;
  BackupOptions backup;
  // For runs on the files cron: the tick; a tick already run by any instance is skipped.
  std::optional<std::chrono::system_clock::time_point> tick;
};

// Runs backup_files under lock FilesBackup (skipped when busy); nothing without a repository. On
// failure: one log line and the admin's failed-backup notification (job FilesBackup), then the
// Error is rethrown. A repository that fails while another took the snapshot gets its own line
// and notification, and the outcome kSomeRepositoriesFailed.
FilesJobOutcome run_files_backup_job(const FilesJobOptions& options);

// What `keepsake serve` runs: the files cron when files.backup.afterDatabaseBackup is off, and
// after_database_backup() for the backup scheduler to call when it made a backup.
class FilesScheduler {
 public:
  FilesScheduler(DatabaseConfig db, FilesSettings settings,
                 std::chrono::milliseconds config_poll = std::chrono::seconds(60));
  ~FilesScheduler() { stop(); }
  FilesScheduler(const FilesScheduler&) = delete;
  FilesScheduler& operator=(const FilesScheduler&) = delete;

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  // Runs a files backup paired with `made` when the settings say so. Never throws.
  void after_database_backup(const DatabaseBackupRef& made);
  // One run of the files cron for `tick`, as the thread does. Never throws.
  void run_tick(std::chrono::system_clock::time_point tick);

 private:
  void run_logged(const FilesJobOptions& options);

  DatabaseConfig db_;
  FilesSettings settings_;
  CronLoop loop_;  // last: its thread stops before the members it uses go
};

// The background tasks of the web pages, one at a time per process.
struct TaskState {
  std::string kind;   // "backup" or "verify"
  bool running = false;
  std::string phase;  // backup: scan, database, snapshot; verify: verify
  double percent = -1;
  std::string started_at, finished_at;  // ISO 8601 UTC
  std::string error;                    // "" when it succeeded (or runs)
  nlohmann::json result;                // what the task reported when it finished
};
using ProgressFn = std::function<void(const std::string& phase, double percent)>;

class BackgroundTasks {
 public:
  static BackgroundTasks& instance();
  ~BackgroundTasks();
  // Starts `work` on its own thread; false (nothing started) while a task runs.
  bool start(const std::string& kind, std::function<nlohmann::json(const ProgressFn&)> work);
  std::optional<TaskState> last() const;  // the running or the last finished task
  void wait();                            // until no task runs

 private:
  void progress(const std::string& phase, double percent);
  void finish(nlohmann::json result, std::string error);

  mutable std::mutex mutex_;
  std::optional<TaskState> state_;
  std::thread thread_;
};

}  // namespace keepsake::files
