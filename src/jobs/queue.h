// The job queue: rows in keepsake.job, claimed by workers with FOR UPDATE SKIP LOCKED, so any
// number of Keepsake instances can share one queue without running a job twice. A claimed job
// holds a lease that its instance renews; when a worker dies the lease runs out and the job is
// claimed again. Completed jobs are deleted; failed ones stay (for the status view) until pruned.
// Nothing is claimed while the maintenance lock (621) is held in this database, or while the
// job's queue is paused. Enqueueing NOTIFYs channel `keepsake_jobs` (payload: the queue name).
// Must never build SQL from job data: names and payloads travel as parameters.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::jobs {

inline constexpr const char* kJobsChannel = "keepsake_jobs";

struct JobOptions {
  int max_attempts = 1;                     // Immich: one attempt
  std::chrono::milliseconds backoff{1000};  // delay before retry n is backoff * 2^(n-1)
  std::chrono::milliseconds delay{0};       // run no earlier than now + delay
};

struct JobRequest {
  JobRequest(std::string job_name, nlohmann::json job_data = nlohmann::json::object(),
             JobOptions job_options = {})
      : name(std::move(job_name)), data(std::move(job_data)), options(job_options) {}
  std::string name;
  nlohmann::json data = nlohmann::json::object();
  JobOptions options;
};

struct ClaimedJob {
  int64_t id = 0;
  std::string queue;
  std::string name;
  nlohmann::json data;
  int attempt = 0;       // 1 for the first run
  int max_attempts = 1;
  int stalls = 0;        // times a worker died holding it
};

struct QueueCounts {
  int64_t active = 0;
  int64_t completed = 0;  // always 0: completed jobs are removed
  int64_t failed = 0;
  int64_t delayed = 0;
  int64_t waiting = 0;
  int64_t paused = 0;
  bool is_paused = false;
};

struct FailedJob {
  int64_t id = 0;
  std::string queue;
  std::string name;
  std::string error;
  std::string failed_at;
};

// A job claimed more often than this after its worker died is failed instead of run again.
inline constexpr int kMaxStalls = 3;

class JobQueue {
 public:
  explicit JobQueue(db::Connection& conn) : conn_(conn) {}

  // Adds a job to the queue its name belongs to (queue_for_job). Returns its id.
  int64_t enqueue(const JobRequest& job);
  int64_t enqueue(const std::string& queue, const JobRequest& job);
  // Adds many jobs of one name in one statement. Returns how many.
  int64_t enqueue_many(const std::string& name, const std::vector<nlohmann::json>& data,
                       const JobOptions& options = {});

  // Claims the next runnable job of `queue` for `worker`, leased for `lease`.
  std::optional<ClaimedJob> claim(const std::string& queue, const std::string& worker,
                                  std::chrono::milliseconds lease);
  // Deletes a finished job. False when `worker` no longer holds it (its lease was lost).
  bool complete(int64_t id, const std::string& worker);
  // Withdraws a job no worker has claimed yet. False when one has (it runs to its end).
  bool cancel_waiting(int64_t id);
  // Records a failure: back to waiting (after back-off) while attempts remain and `may_retry`,
  // else failed. Returns true when the job is now failed for good.
  bool fail(int64_t id, const std::string& worker, const std::string& error,
            bool may_retry = true);
  // Extends the leases of every job `worker` holds. Returns how many.
  int64_t renew_leases(const std::string& worker, std::chrono::milliseconds lease);

  QueueCounts counts(const std::string& queue);
  void pause(const std::string& queue);
  void resume(const std::string& queue);
  bool is_paused(const std::string& queue);
  // Failed jobs, newest first.
  std::vector<FailedJob> failed_jobs(const std::string& queue, int limit = 50);
  // Deletes failed jobs that failed before now - keep. Returns how many.
  int64_t prune_failed(std::chrono::hours keep);
  // Deletes failed jobs of a queue (Immich's "clear-failed"). Returns how many.
  int64_t clear_failed(const std::string& queue);
  // Deletes waiting and delayed jobs of a queue (Immich's "empty"). Returns how many.
  int64_t empty(const std::string& queue);

 private:
  void check_queue(const std::string& queue) const;
  db::Connection& conn_;
};

// Applies Keepsake's migrations (which create keepsake.job) if not done yet.
void ensure_queue_schema(db::Connection& conn);

}  // namespace keepsake::jobs
