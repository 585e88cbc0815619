#include "files/files_jobs.h"

#include <ctime>

#include "backup/backup_service.h"
#include "common/error.h"
#include "common/log.h"
#include "config/keepsake_settings.h"
#include "db/connection.h"
#include "db/locks.h"

namespace keepsake::files {
namespace {

constexpr const char* kJobName = "FilesBackup";

std::string utc_now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
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
    std::string message = e.what();
    if (auto* error = dynamic_cast<const Error*>(&e)) message = error->full_message();
    backup::notify_job_failure(o.db, kJobName, message);
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
  state_ = TaskState{.kind = kind, .running = true, .started_at = utc_now()};
  thread_ = std::thread([this, work = std::move(work)] {
    try {
      finish(work([this](const std::string& phase, double percent) { progress(phase, percent); }), "");
    } catch (const std::exception& e) {
      auto* error = dynamic_cast<const Error*>(&e);
      finish(nullptr, error ? error->full_message() : e.what());
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
  state_->finished_at = utc_now();
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
