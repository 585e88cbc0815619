#include "jobs/nightly.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <regex>

#include "common/error.h"
#include "config/system_config.h"
#include "jobs/job_names.h"
#include "jobs/queue.h"

namespace keepsake::jobs {
namespace {

constexpr const char* kNightly = "nightly";

std::pair<int, int> parse_start_time(const std::string& start_time) {
  static const std::regex kHhMm("^([01][0-9]|2[0-3]):([0-5][0-9])$");
  std::smatch m;
  if (!std::regex_match(start_time, m, kHhMm)) {
    throw Error(ErrorKind::kInvalidArgument,
                "nightlyTasks.startTime \"" + start_time + "\" is not a time of day",
                "use HH:mm, e.g. 00:00 or 02:30");
  }
  return {std::stoi(m[1]), std::stoi(m[2])};
}

Clock::time_point at_local(std::tm day, int hour, int minute) {
  day.tm_hour = hour;
  day.tm_min = minute;
  day.tm_sec = 0;
  day.tm_isdst = -1;
  return Clock::from_time_t(std::mktime(&day));
}

std::string iso(Clock::time_point t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

}  // namespace

Clock::time_point last_slot(const std::string& start_time, Clock::time_point now) {
  auto [hour, minute] = parse_start_time(start_time);
  std::time_t t = Clock::to_time_t(now);
  std::tm local{};
  localtime_r(&t, &local);
  auto today = at_local(local, hour, minute);
  if (today <= now) return today;
  local.tm_mday -= 1;
  return at_local(local, hour, minute);
}

Clock::time_point next_slot(const std::string& start_time, Clock::time_point now) {
  auto [hour, minute] = parse_start_time(start_time);
  std::time_t t = Clock::to_time_t(now);
  std::tm local{};
  localtime_r(&t, &local);
  auto today = at_local(local, hour, minute);
  if (today > now) return today;
  local.tm_mday += 1;
  return at_local(local, hour, minute);
}

int queue_nightly_if_due(db::Connection& conn, Clock::time_point now) {
  ensure_queue_schema(conn);
  auto settings = config::nightly_tasks_settings(config::load_system_config(conn));
  auto slot = last_slot(settings.start_time, now);
  db::Transaction tx(conn);
  auto r = tx.exec(R"(INSERT INTO keepsake.job_schedule (name, last_slot)
                      VALUES ($1, to_timestamp($2::bigint))
                      ON CONFLICT (name) DO UPDATE SET last_slot = EXCLUDED.last_slot
                       WHERE keepsake.job_schedule.last_slot < EXCLUDED.last_slot
                      RETURNING (xmax = 0) AS first_run)",
                   {kNightly, iso(slot)}, "record the nightly run");
  if (r.empty()) return 0;
  if (r.boolean(0, "first_run")) {
    tx.commit();
    spdlog::info("Nightly jobs scheduled daily at {}", settings.start_time);
    return 0;
  }
  auto jobs = nightly_jobs(settings.database_cleanup, settings.generate_memories,
                           settings.sync_quota_usage);
  JobQueue queue(tx.connection());
  for (const auto& name : jobs) queue.enqueue(JobRequest(name));
  tx.commit();
  spdlog::info("Queued {} nightly jobs", jobs.size());
  return static_cast<int>(jobs.size());
}

NightlyScheduler::NightlyScheduler(DatabaseConfig db, std::chrono::milliseconds recheck)
    : db_(std::move(db)), recheck_(recheck) {}

NightlyScheduler::~NightlyScheduler() { stop(); }

void NightlyScheduler::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread(&NightlyScheduler::loop, this);
}

void NightlyScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  lock_.reset();
}

int NightlyScheduler::tick(Clock::time_point now) {
  if (lock_) {
    try {
      lock_->connection().exec("SELECT 1", {}, "check the nightly lock's connection");
    } catch (const Error&) {
      lock_.reset();
    }
  }
  if (!lock_) lock_ = db::try_lock(db_, db::DatabaseLock::NightlyJobs);
  if (!lock_) return 0;
  return queue_nightly_if_due(lock_->connection(), now);
}

void NightlyScheduler::loop() {
  while (true) {
    try {
      tick();
    } catch (const std::exception& e) {
      spdlog::error("Nightly job scheduling failed: {}", e.what());
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, recheck_, [&] { return stopping_; })) return;
  }
}

}  // namespace keepsake::jobs
