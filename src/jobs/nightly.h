// The nightly schedule (spec §7.2): at nightlyTasks.startTime (server local time) the instance
// holding advisory lock NightlyJobs (600) queues the nightly set — the database cleanups when
// nightlyTasks.databaseCleanup is on, plus MemoryGenerate and UserSyncUsage when switched on.
// Each run is recorded in keepsake.job_schedule in the same transaction as its jobs, so a slot is
// queued once even when the lock changes hands. A slot missed while every instance was down is
// caught up once at the next start; the very first start only records the slot.
// Must never queue the set twice for one slot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "db/connection.h"
#include "db/locks.h"

namespace keepsake::jobs {

using Clock = std::chrono::system_clock;

// The latest time at or before `now` whose local clock reads `start_time` ("HH:mm").
// Throws Error(kInvalidArgument) for a malformed time.
Clock::time_point last_slot(const std::string& start_time, Clock::time_point now);
Clock::time_point next_slot(const std::string& start_time, Clock::time_point now);

// Queues the nightly set for the slot due at `now` unless that slot is already recorded.
// Returns the number of jobs queued (0 when already done, or on the very first run).
int queue_nightly_if_due(db::Connection& conn, Clock::time_point now);

class NightlyScheduler {
 public:
  explicit NightlyScheduler(DatabaseConfig db,
                            std::chrono::milliseconds recheck = std::chrono::seconds(60));
  ~NightlyScheduler();
  NightlyScheduler(const NightlyScheduler&) = delete;
  NightlyScheduler& operator=(const NightlyScheduler&) = delete;

  void start();
  void stop();
  // One round: take lock 600 if free, then queue the set if due. Returns jobs queued.
  int tick(Clock::time_point now = Clock::now());
  bool holds_lock() const { return lock_ != nullptr; }

 private:
  void loop();

  DatabaseConfig db_;
  std::chrono::milliseconds recheck_;
  std::unique_ptr<db::HeldLock> lock_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace keepsake::jobs
