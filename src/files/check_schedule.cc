#include "files/check_schedule.h"

#include <algorithm>

#include "backup/backup_service.h"
#include "common/cron.h"
#include "common/error.h"
#include "common/log.h"
#include "config/keepsake_settings.h"
#include "db/locks.h"

namespace keepsake::files {
namespace {

constexpr const char* kJobName = "FilesCheck";
constexpr int kMaxParts = 1000;

RepositoryCheckOutcome check_one(const FilesSettings& settings, const Repository& repository,
                                 const std::string& subset) {
  RepositoryCheckOutcome outcome{shown_repository(repository.url)};
  try {
    auto r = check_repository(for_repository(settings, repository), subset);
    outcome.ok = r.ok;
    if (!r.ok) {
      outcome.error = "restic check found errors in the repository (`keepsake files check --repo " +
                      outcome.repository + "` shows them)";
    }
  } catch (const std::exception& e) {
    outcome.error = full_message_of(e);
  }
  return outcome;
}

}  // namespace

CheckPart check_part(const std::string& cron, int full_read_days, std::chrono::system_clock::time_point tick) {
  auto expression = CronExpression::parse(cron);
  auto window = std::chrono::hours(24) * std::max(1, full_read_days);
  CheckPart part{1, 0};
  for (auto t = tick - std::chrono::seconds(1); part.t < kMaxParts;) {
    t = expression.next_after(t);
    if (t >= tick + window) break;
    ++part.t;
  }
  part.t = std::max(1, part.t);
  auto slot = std::chrono::duration_cast<std::chrono::seconds>(window).count() / part.t;
  auto since_epoch = std::chrono::duration_cast<std::chrono::seconds>(tick.time_since_epoch()).count();
  part.n = static_cast<int>((since_epoch / std::max<int64_t>(1, slot)) % part.t) + 1;
  return part;
}

CheckScheduler::CheckScheduler(DatabaseConfig db, FilesSettings settings, std::chrono::milliseconds config_poll)
    : db_(std::move(db)),
      settings_(std::move(settings)),
      loop_({.name = "files check scheduler",
             .poll = config_poll,
             .schedule = [this]() -> std::optional<std::string> {
               auto conn = db::Connection::open(db_);
               auto s = config::files_check_settings(config::load_keepsake_settings(*conn));
               if (!s.enabled || !repository_configured(settings_)) return std::nullopt;
               return s.cron_expression;
             },
             .on_tick = [this](std::chrono::system_clock::time_point tick) { run_tick(tick); }}) {}

std::optional<std::vector<RepositoryCheckOutcome>> CheckScheduler::run_tick(std::chrono::system_clock::time_point tick) {
  std::optional<std::vector<RepositoryCheckOutcome>> outcomes;
  try {
    if (!repository_configured(settings_)) return std::nullopt;
    auto held = db::try_lock(db_, db::DatabaseLock::FilesBackup);
    if (!held) {
      spdlog::info("Files check skipped: a files backup is running (the next tick checks)");
      return std::nullopt;
    }
    auto s = config::files_check_settings(config::load_keepsake_settings(held->connection()));
    if (!s.enabled || !backup::claim_schedule_tick(held->connection(), kJobName, tick)) return std::nullopt;
    auto part = check_part(s.cron_expression, s.full_read_days, tick);
    outcomes.emplace();
    for (const auto& repository : configured_repositories(settings_)) {
      auto outcome = check_one(settings_, repository, part.subset());
      if (outcome.ok) {
        spdlog::info("Files check of {}: passed (data part {})", outcome.repository, part.subset());
      } else {
        spdlog::error("Files check of {} failed: {}", outcome.repository, outcome.error);
        backup::notify_job_failure(db_, kJobName, outcome.repository + ": " + outcome.error);
      }
      outcomes->push_back(std::move(outcome));
    }
  } catch (const std::exception& e) {
    spdlog::error("Files check failed: {}", full_message_of(e));
    backup::notify_job_failure(db_, kJobName, full_message_of(e));
  }
  return outcomes;
}

}  // namespace keepsake::files
