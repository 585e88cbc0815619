// The backup scheduler that `keepsake serve` runs: a thread that reads backup.database from
// system-config, sleeps until the next cron tick, and runs the DatabaseBackup job for it. Every
// instance may run one; per tick only the instance that wins try_lock(BackupDatabase = 42) backs
// up, holding the lock for the whole run, and a tick recorded as done is never run twice.
// Config changes are picked up within `config_poll`; `after_backup` runs what follows a backup
// (the files snapshot). Must never run two backups for one tick.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "backup/backup_service.h"

namespace keepsake::backup {

struct SchedulerOptions {
  BackupOptions backup;  // db, media location, tools
  std::chrono::milliseconds config_poll{60000};
  // Called on the scheduler's thread after each backup this instance made (the files backup).
  std::function<void(const BackupResult&)> after_backup;
};

class BackupScheduler {
 public:
  explicit BackupScheduler(SchedulerOptions options) : options_(std::move(options)) {}
  ~BackupScheduler() { stop(); }
  BackupScheduler(const BackupScheduler&) = delete;
  BackupScheduler& operator=(const BackupScheduler&) = delete;

  void start();
  void stop();  // wakes the thread and joins it (a running backup finishes first)

  // Runs the job for one tick now, as the thread does. True when this instance made the backup.
  bool run_tick(std::chrono::system_clock::time_point tick);

  int backups_made() const { return backups_made_; }

 private:
  void loop();
  // Sleeps until `until` or stop(); false when stopping.
  bool sleep_until(std::chrono::system_clock::time_point until);

  SchedulerOptions options_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<int> backups_made_{0};
};

}  // namespace keepsake::backup
