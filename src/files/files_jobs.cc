#include "files/files_jobs.h"

#include "backup/backup_service.h"
#include "common/error.h"
#include "common/log.h"
#include "common/utc_time.h"
#include "config/keepsake_settings.h"
#include "db/connection.h"
#include "db/locks.h"

namespace keepsake::files {
namespace {

constexpr const char* kJobName = "FilesBackup";

// Retention (forget --prune) in each repository that took this run's snapshot. Paused while
// originals are missing (a run with unreadable files fails before it): the older snapshots may
// hold the only copies, and keeping the last N would push them out one run at a time.
void apply_retention(const FilesJobOptions& o, const BackupResult& r) {
  if (r.scan.irreplaceable.count > 0) {
    spdlog::warn("Files retention paused: {} irreplaceable files are missing; older snapshots are "
                 "kept until a backup finds the library whole again",
                 r.scan.irreplaceable.count);
    return;
  }
  auto conn = db::Connection::open(o.db);
  auto policy = retention_policy(*conn);
  for (const auto& made : r.repositories) {
    if (!made.error.empty()) continue;
    try {
      auto forgot = forget_snapshots(for_repository(o.settings, made.configured), policy);
      spdlog::info("Files retention in {}: {} snapshots forgotten, {} kept (the last {})", made.repository,
                   forgot.removed, forgot.kept, policy.keep_last);
    } catch (const std::exception& e) {
      backup::notify_job_failure(o.db, kJobName,
                                 "retention in " + made.repository + " failed: " + full_message_of(e));
    }
  }
}

FilesJobOutcome run_locked(const FilesJobOptions& o, db::Connection& lock_conn) {
  if (o.tick && !backup::claim_schedule_tick(lock_conn, kJobName, *o.tick)) {
    spdlog::info("files backup for this tick already ran on another instance; skipping");
    return FilesJobOutcome::kTickDone;
  }
  auto conn = db::Connection::open(o.db);
  auto options = o.backup;
  options.database = o.db;
  auto r = backup_files(*conn, o.settings, options);
  for (const auto& made : r.repositories) {
    if (made.error.empty()) {
      spdlog::info("Files backup: snapshot {} in {}", made.snapshot.short_id, made.repository);
    } else {
      backup::notify_job_failure(o.db, kJobName, "no snapshot in " + made.repository + ": " + made.error);
    }
  }
  spdlog::info("Files backup: snapshot {} of {} files ({} new, {} changed), paired with {}",
               r.snapshot.short_id, r.files_new + r.files_changed + r.files_unmodified,
               r.files_new, r.files_changed, r.snapshot.db_backup);
  if (r.scan.irreplaceable.count > 0) {
    spdlog::warn("Files backup: {} irreplaceable files are missing from the media folder "
                 "(`keepsake storage scan` lists them); the snapshot was made without them",
                 r.scan.irreplaceable.count);
  }
  if (!r.unreadable.empty()) {
    throw Error(ErrorKind::kIo,
                std::to_string(r.unreadable.size()) + " files could not be read (first: " +
                    r.unreadable.front() + "); snapshot " + r.snapshot.short_id + " lacks them");
  }
  apply_retention(o, r);
  if (r.some_failed()) return FilesJobOutcome::kSomeRepositoriesFailed;
  return FilesJobOutcome::kDone;
}

}  // namespace

FilesJobOutcome run_files_backup_job(const FilesJobOptions& o) {
  if (!repository_configured(o.settings)) return FilesJobOutcome::kNoRepository;
  try {
    auto held = db::try_lock(o.db, db::DatabaseLock::FilesBackup);
    if (!held) {
      spdlog::info("another instance holds the files backup lock; skipping");
      return FilesJobOutcome::kBusy;
    }
    return run_locked(o, held->connection());
  } catch (const std::exception& e) {
    backup::notify_job_failure(o.db, kJobName, full_message_of(e));
    throw;
  }
}

FilesScheduler::FilesScheduler(DatabaseConfig db, FilesSettings settings,
                               std::chrono::milliseconds config_poll)
    : db_(std::move(db)),
      settings_(std::move(settings)),
      loop_({.name = "files backup scheduler",
             .poll = config_poll,
             .schedule = [this]() -> std::optional<std::string> {
               auto conn = db::Connection::open(db_);
               auto s = config::files_backup_settings(config::load_keepsake_settings(*conn));
               if (!s.enabled || s.after_database_backup || !repository_configured(settings_)) {
                 return std::nullopt;
               }
               return s.cron_expression;
             },
             .on_tick = [this](std::chrono::system_clock::time_point tick) { run_tick(tick); }}) {}

void FilesScheduler::run_logged(const FilesJobOptions& options) {
  try {
    run_files_backup_job(options);
  } catch (const std::exception&) {
    // logged and notified by the job
  }
}

void FilesScheduler::after_database_backup(const DatabaseBackupRef& made) {
  try {
    auto conn = db::Connection::open(db_);
    auto s = config::files_backup_settings(config::load_keepsake_settings(*conn));
    if (!s.enabled || !s.after_database_backup) return;
  } catch (const std::exception& e) {
    spdlog::error("files backup after the database backup: {}", e.what());
    return;
  }
  FilesJobOptions options{.db = db_, .settings = settings_};
  options.backup.paired_database_backup = made;
  run_logged(options);
}

void FilesScheduler::run_tick(std::chrono::system_clock::time_point tick) {
  FilesJobOptions options{.db = db_, .settings = settings_, .tick = tick};
  run_logged(options);
}

BackgroundTasks& BackgroundTasks::instance() {
  static BackgroundTasks tasks;
  return tasks;
}

BackgroundTasks::~BackgroundTasks() { wait(); }

bool BackgroundTasks::start(const std::string& kind,
                            std::function<nlohmann::json(const ProgressFn&)> work) {
  std::lock_guard lock(mutex_);
  if (state_ && state_->running) return false;
  if (thread_.joinable()) thread_.join();  // finished: its state is recorded
  state_ = TaskState{.kind = kind, .running = true, .started_at = iso8601_utc()};
  thread_ = std::thread([this, work = std::move(work)] {
    try {
      finish(work([this](const std::string& phase, double percent) { progress(phase, percent); }), "");
    } catch (const std::exception& e) {
      finish(nullptr, full_message_of(e));
    }
  });
  return true;
}

void BackgroundTasks::progress(const std::string& phase, double percent) {
  std::lock_guard lock(mutex_);
  state_->phase = phase;
  state_->percent = percent;
}

void BackgroundTasks::finish(nlohmann::json result, std::string error) {
  std::lock_guard lock(mutex_);
  state_->running = false;
  state_->finished_at = iso8601_utc();
  state_->result = std::move(result);
  state_->error = std::move(error);
  if (state_->error.empty()) state_->percent = 100;
}

std::optional<TaskState> BackgroundTasks::last() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void BackgroundTasks::wait() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) return;
  auto running = std::move(thread_);
  lock.unlock();
  running.join();
}

}  // namespace keepsake::files
