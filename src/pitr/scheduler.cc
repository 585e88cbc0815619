// serve's PITR thread: scheduled base backups (one per cron tick across instances, like the
// database-backup scheduler), pruning to the recovery window after each, and the alerts.
#include <optional>
#include <set>

#include "backup/backup_service.h"
#include "common/cron_loop.h"
#include "common/log.h"
#include "config/keepsake_settings.h"
#include "db/connection.h"
#include "db/locks.h"
#include "migrations/keepsake_migrations.h"
#include "pitr/archive.h"

namespace keepsake::pitr {

KEEPSAKE_MIGRATION(pitr0500, "0500-pitr-schedule-run", R"sql(
  CREATE TABLE keepsake.pitr_schedule_run (
    tick timestamptz PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    backend_pid integer NOT NULL DEFAULT pg_backend_pid()
  );
)sql");

namespace {

using clock = std::chrono::system_clock;

// Records the tick under the lock; false when some instance already ran it.
bool claim_tick(db::Connection& conn, clock::time_point tick) {
  migrations::apply_keepsake_migrations(conn);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(tick.time_since_epoch()).count();
  return conn
             .exec("INSERT INTO keepsake.pitr_schedule_run (tick) VALUES (to_timestamp($1::bigint)) "
                   "ON CONFLICT (tick) DO NOTHING RETURNING tick",
                   {std::to_string(seconds)}, "record the PITR base-backup tick")
             .rows() == 1;
}

}  // namespace

struct PitrScheduler::State {
  SchedulerOptions options;
  std::optional<CronLoop> loop;
  std::set<std::string> active_problems;  // kinds reported in the current streak

  explicit State(SchedulerOptions o) : options(std::move(o)) {
    if (!options.notify) {
      options.notify = [db = options.db](const std::string& problem) {
        backup::notify_job_failure(db, "PitrArchive", problem);
      };
    }
  }
};

PitrScheduler::PitrScheduler(SchedulerOptions options) : state_(std::make_unique<State>(std::move(options))) {}

PitrScheduler::~PitrScheduler() { stop(); }

void PitrScheduler::start() {
  if (!state_->loop) {
    state_->loop.emplace(CronLoopOptions{
        .name = "PITR scheduler",
        .poll = state_->options.poll,
        .schedule = [this]() -> std::optional<std::string> {
          auto conn = db::Connection::open(state_->options.db);
          auto settings = config::pitr_settings(config::load_keepsake_settings(*conn));
          if (!settings.base_backup_enabled) return std::nullopt;
          return settings.base_backup_cron;
        },
        .on_tick = [this](clock::time_point tick) { run_tick(tick); },
        .after_wake = [this] {
          ensure_base_backup();
          check_health();
        }});
  }
  state_->loop->start();
}

void PitrScheduler::stop() {
  if (state_->loop) state_->loop->stop();
}

bool PitrScheduler::run_tick(clock::time_point tick) {
  const auto& o = state_->options;
  if (!is_enabled(o.archive_dir)) return false;
  try {
    auto held = db::try_lock(o.db, db::DatabaseLock::PitrBaseBackup);
    if (!held) {
      spdlog::info("PITR: another instance holds the base-backup lock; skipping this tick");
      return false;
    }
    if (!claim_tick(held->connection(), tick)) {
      spdlog::info("PITR: the base backup for this tick already ran on another instance; skipping");
      return false;
    }
    take_base_backup(o.db, o.archive_dir, *held);
    auto settings = config::pitr_settings(config::load_keepsake_settings(held->connection()));
    prune(o.archive_dir, settings.recovery_window_days, now_us());
    return true;
  } catch (const std::exception& e) {
    // A failed base backup is recorded in the archive: check_health reports it.
    spdlog::error("PITR: scheduled base backup failed: {}", e.what());
    return false;
  }
}

bool PitrScheduler::ensure_base_backup() {
  const auto& o = state_->options;
  Archive archive(o.archive_dir);
  if (!is_enabled(o.archive_dir)) return false;
  for (auto& b : archive.base_backups()) {
    if (b.verified) return false;
  }
  if (auto failure = archive.failure(); failure && now_us() - failure->first < 3600LL * 1000000) return false;
  try {
    auto held = db::try_lock(o.db, db::DatabaseLock::PitrBaseBackup);
    if (!held) return false;
    spdlog::warn("PITR: the archive has no verified base backup, so nothing can be recovered yet; taking one now");
    take_base_backup(o.db, o.archive_dir, *held);
    return true;
  } catch (const std::exception& e) {
    spdlog::error("PITR: base backup failed: {}", e.what());
    return false;
  }
}

void PitrScheduler::check_health() {
  const auto& o = state_->options;
  if (!is_enabled(o.archive_dir)) {
    state_->active_problems.clear();
    return;
  }
  auto status = read_status(o.db, o.archive_dir);
  std::set<std::string> now_active;
  for (size_t i = 0; i < status.problems.size(); ++i) {
    const auto& kind = status.problem_kinds[i];
    if (!now_active.insert(kind).second || state_->active_problems.count(kind)) continue;
    spdlog::error("PITR problem: {}", status.problems[i]);
    if (kind != "unreachable") o.notify("point-in-time recovery: " + status.problems[i]);
  }
  for (const auto& kind : state_->active_problems) {
    if (!now_active.count(kind)) spdlog::info("PITR: resolved: {}", kind);
  }
  state_->active_problems = std::move(now_active);
}

}  // namespace keepsake::pitr
