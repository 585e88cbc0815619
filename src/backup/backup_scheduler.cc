#include "backup/backup_scheduler.h"

#include "common/cron.h"
#include "common/error.h"
#include "common/log.h"
#include "config/system_config.h"
#include "db/connection.h"

namespace keepsake::backup {

void BackupScheduler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void BackupScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BackupScheduler::sleep_until(std::chrono::system_clock::time_point until) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, until, [this] { return stopping_; });
  return !stopping_;
}

bool BackupScheduler::run_tick(std::chrono::system_clock::time_point tick) {
  JobOptions job;
  job.backup = options_.backup;
  job.lock = LockPolicy::kSkipIfBusy;
  job.tick = tick;
  std::optional<BackupResult> made;
  try {
    made = run_database_backup_job(job);
  } catch (const std::exception& e) {
    spdlog::error("scheduled database backup failed: {}", e.what());
    return false;
  }
  if (!made) return false;
  ++backups_made_;
  if (options_.after_backup) options_.after_backup(*made);
  return true;
}

void BackupScheduler::loop() {
  using clock = std::chrono::system_clock;
  std::string last_error;
  while (true) {
    auto now = clock::now();
    auto wake_at = now + options_.config_poll;
    std::optional<clock::time_point> tick;
    try {
      auto conn = db::Connection::open(options_.backup.db);
      auto settings = config::database_backup_settings(config::load_system_config(*conn));
      if (settings.enabled) {
        tick = CronExpression::parse(settings.cron_expression).next_after(now);
        if (*tick < wake_at) wake_at = *tick;
      }
      last_error.clear();
    } catch (const std::exception& e) {
      if (last_error != e.what()) spdlog::error("backup scheduler: {}", e.what());
      last_error = e.what();
    }
    if (!sleep_until(wake_at)) return;
    if (tick && clock::now() >= *tick) run_tick(*tick);
  }
}

}  // namespace keepsake::backup
