// Workers that run queued jobs: per queue, `concurrency` threads (each with its own connection)
// claim jobs from keepsake.job and run the registered handler. Idle workers sleep until a
// NOTIFY on `keepsake_jobs` names their queue (one listening connection per pool), or until the
// poll interval passes (for delayed jobs, expired leases and the end of maintenance). One keeper
// thread renews the leases of this pool's running jobs and prunes old failed jobs.
// Every failure is logged with the job's name and its cause. A pool never runs a job another
// worker holds: claims go through JobQueue (FOR UPDATE SKIP LOCKED + leases).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "jobs/queue.h"

namespace keepsake::jobs {

struct JobContext {
  const ClaimedJob& job;
  db::Connection& conn;            // the worker's own connection, not in a transaction
  bool failure_reported = false;   // set by a handler that told the user about its failure itself
};

// Runs one job; throws to fail it.
using JobHandler = std::function<void(JobContext&)>;

class HandlerRegistry {
 public:
  void add(const std::string& job_name, JobHandler handler) { handlers_[job_name] = std::move(handler); }
  const JobHandler* find(const std::string& job_name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, JobHandler> handlers_;
};

// Called once when a job has failed for good (after its last attempt), unless its handler
// reported the failure itself.
using FailureHook =
    std::function<void(const ClaimedJob& job, const std::string& error, db::Connection& conn)>;

struct WorkerOptions {
  std::map<std::string, int> concurrency;  // queue → worker threads; unlisted queues get none
  std::chrono::milliseconds lease{60000};
  std::chrono::milliseconds poll{2000};
  std::chrono::hours keep_failed{24 * 7};
  std::string instance;  // identifies this pool's leases; default host:pid:random
};

// Immich's default concurrency for the queues Keepsake runs (backgroundTask 5, backupDatabase 1).
std::map<std::string, int> default_concurrency();

class WorkerPool {
 public:
  WorkerPool(DatabaseConfig db, HandlerRegistry handlers, WorkerOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void set_failure_hook(FailureHook hook) { failure_hook_ = std::move(hook); }
  // Opens the connections (throws when the database cannot be reached) and starts the threads.
  void start();
  // Stops claiming, waits for running jobs to finish, joins the threads. Idempotent.
  void stop();

  // Instead of start(): runs the runnable jobs of `queue` one by one on the calling thread until
  // none is left (a keeper thread renews the lease meanwhile), then stops. Returns how many ran;
  // failures are recorded as a worker records them (see failed()).
  int64_t drain(const std::string& queue);

  const std::string& instance() const { return options_.instance; }
  int64_t completed() const { return completed_.load(); }
  int64_t failed() const { return failed_.load(); }

 private:
  struct QueueSignal {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t generation = 0;
  };

  void worker_loop(const std::string& queue, std::unique_ptr<db::Connection> conn);
  bool run_next(const std::string& queue, std::unique_ptr<db::Connection>& conn);
  // Runs the handler and records its outcome; a connection the server closed meanwhile (a
  // restart, a terminated session) is replaced first, so the outcome is never lost.
  void run_job(const ClaimedJob& job, std::unique_ptr<db::Connection>& conn);
  void record_failure(const ClaimedJob& job, const std::string& error, bool may_retry,
                      bool reported, db::Connection& conn);
  void wait_for_work(const std::string& queue, uint64_t seen);
  uint64_t generation(const std::string& queue);
  void wake(const std::string& queue);
  void wake_all();
  void listener_loop(std::unique_ptr<db::Connection> conn);
  void keeper_loop(std::unique_ptr<db::Connection> conn);
  std::unique_ptr<db::Connection> reconnect();
  void pause_after_error(std::chrono::milliseconds pause);

  DatabaseConfig db_;
  HandlerRegistry handlers_;
  WorkerOptions options_;
  FailureHook failure_hook_;
  std::map<std::string, std::unique_ptr<QueueSignal>> signals_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> failed_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool started_ = false;
};

}  // namespace keepsake::jobs
