#include "backup/backup_scheduler.h"

#include "common/error.h"
#include "common/log.h"
#include "config/system_config.h"
#include "db/connection.h"

namespace keepsake::backup {

BackupScheduler::BackupScheduler(SchedulerOptions options)
    : options_(std::move(options)),
      loop_({.name = "backup scheduler",
             .poll = options_.config_poll,
             .schedule = [this]() -> std::optional<std::string> {
               auto conn = db::Connection::open(options_.backup.db);
               auto settings = config::database_backup_settings(config::load_system_config(*conn));
               if (!settings.enabled) return std::nullopt;
               return settings.cron_expression;
             },
             .on_tick = [this](std::chrono::system_clock::time_point tick) { run_tick(tick); }}) {}

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

}  // namespace keepsake::backup
