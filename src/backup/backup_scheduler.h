// The backup scheduler that `keepsake serve` runs: a thread that reads backup.database from
// system-config, sleeps until the next cron tick, and runs the DatabaseBackup job for it. Every
// instance may run one; per tick only the instance that wins try_lock(BackupDatabase = 42) backs
// up, holding the lock for the whole run, and a tick recorded as done is never run twice.
// Config changes are picked up within `config_poll`; `after_backup` runs what follows a backup
// (the files snapshot). Must never run two backups for one tick.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "backup/backup_service.h"
#include "common/cron_loop.h"

namespace keepsake::backup {

struct SchedulerOptions {
  BackupOptions backup;  // db, media location, tools
  std::chrono::milliseconds config_poll{60000};
  // Called on the scheduler's thread after each backup this instance made (the files backup).
  std::function<void(const BackupResult&)> after_backup;
};

class BackupScheduler {
 public:
  explicit BackupScheduler(SchedulerOptions options);
  ~BackupScheduler() { stop(); }
  BackupScheduler(const BackupScheduler&) = delete;
  BackupScheduler& operator=(const BackupScheduler&) = delete;

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }  // wakes the thread and joins it (a running backup finishes first)

  // Runs the job for one tick now, as the thread does. True when this instance made the backup.
  bool run_tick(std::chrono::system_clock::time_point tick);

  int backups_made() const { return backups_made_; }

 private:
  SchedulerOptions options_;
  std::atomic<int> backups_made_{0};
  CronLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace keepsake::backup
