#include "jobs/worker_pool.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "common/error.h"
#include "jobs/job_names.h"

namespace keepsake::jobs {
namespace {

constexpr std::chrono::milliseconds kListenerTick{500};
constexpr std::chrono::milliseconds kErrorPause{1000};
// A database down for long (a full disk) is retried at most this seldom, and logged about every
// five minutes, instead of flooding the log with a line a second per worker.
constexpr std::chrono::milliseconds kMaxReconnectPause{15000};
constexpr int kReconnectLogEvery = 20;

// Queue bookkeeping on worker connections commits without waiting for the WAL flush. A
// PostgreSQL crash can then lose the last few commits of a worker — always a suffix, in order —
// so at worst a job that had finished runs again (as after a lost lease); nothing half-done stays.
std::unique_ptr<db::Connection> open_worker_connection(const DatabaseConfig& db) {
  auto conn = db::Connection::open(db);
  conn->exec("SET synchronous_commit = off", {}, "set up a job worker connection");
  return conn;
}

std::string default_instance() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::random_device rd;
  return fmt::format("{}:{}:{:08x}", host, getpid(), rd());
}

}  // namespace

const JobHandler* HandlerRegistry::find(const std::string& job_name) const {
  auto it = handlers_.find(job_name);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& entry : handlers_) out.push_back(entry.first);
  return out;
}

std::map<std::string, int> default_concurrency() {
  return {{queue_name::kBackgroundTask, 5}, {queue_name::kBackupDatabase, 1}};
}

WorkerPool::WorkerPool(DatabaseConfig db, HandlerRegistry handlers, WorkerOptions options)
    : db_(std::move(db)), handlers_(std::move(handlers)), options_(std::move(options)) {
  if (options_.instance.empty()) options_.instance = default_instance();
  for (const auto& [queue, n] : options_.concurrency) {
    if (!is_queue_name(queue)) {
      throw Error(ErrorKind::kInvalidArgument, "unknown queue \"" + queue + "\"");
    }
    if (n < 0) throw Error(ErrorKind::kInvalidArgument, "concurrency of " + queue + " is negative");
    signals_[queue] = std::make_unique<QueueSignal>();
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  if (started_) return;
  auto listener = db::Connection::open(db_);
  ensure_queue_schema(*listener);
  listener->listen(kJobsChannel);
  std::vector<std::pair<std::string, std::unique_ptr<db::Connection>>> workers;
  for (const auto& [queue, n] : options_.concurrency) {
    for (int i = 0; i < n; ++i) workers.emplace_back(queue, open_worker_connection(db_));
  }
  auto keeper = db::Connection::open(db_);
  started_ = true;
  threads_.emplace_back(&WorkerPool::listener_loop, this, std::move(listener));
  threads_.emplace_back(&WorkerPool::keeper_loop, this, std::move(keeper));
  for (auto& [queue, conn] : workers) {
    threads_.emplace_back(&WorkerPool::worker_loop, this, queue, std::move(conn));
  }
  spdlog::info("Job workers started ({} threads, instance {})", workers.size(), options_.instance);
}

void WorkerPool::stop() {
  if (!started_ || stopping_.exchange(true)) return;
  wake_all();
  stop_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

int64_t WorkerPool::drain(const std::string& queue) {
  if (started_) throw Error(ErrorKind::kInvalidArgument, "the job workers are already running");
  auto conn = open_worker_connection(db_);
  ensure_queue_schema(*conn);
  started_ = true;
  threads_.emplace_back(&WorkerPool::keeper_loop, this, db::Connection::open(db_));
  const int64_t before = completed_ + failed_;
  try {
    while (run_next(queue, conn)) {
    }
  } catch (...) {
    stop();
    throw;
  }
  stop();
  return completed_ + failed_ - before;
}

uint64_t WorkerPool::generation(const std::string& queue) {
  auto& s = *signals_.at(queue);
  std::lock_guard lock(s.mu);
  return s.generation;
}

void WorkerPool::wake(const std::string& queue) {
  auto it = signals_.find(queue);
  if (it == signals_.end()) return;
  {
    std::lock_guard lock(it->second->mu);
    ++it->second->generation;
  }
  it->second->cv.notify_all();
}

void WorkerPool::wake_all() {
  for (const auto& entry : signals_) wake(entry.first);
}

void WorkerPool::wait_for_work(const std::string& queue, uint64_t seen) {
  auto& s = *signals_.at(queue);
  std::unique_lock lock(s.mu);
  s.cv.wait_for(lock, options_.poll,
                [&] { return s.generation != seen || stopping_.load(); });
}

void WorkerPool::pause_after_error(std::chrono::milliseconds pause) {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, pause, [&] { return stopping_.load(); });
}

std::unique_ptr<db::Connection> WorkerPool::reconnect() {
  auto pause = kErrorPause;
  for (int attempt = 1; !stopping_; ++attempt) {
    try {
      auto conn = open_worker_connection(db_);
      if (attempt > 1) spdlog::info("Job worker reconnected after {} attempts", attempt);
      return conn;
    } catch (const Error& e) {
      if (attempt % kReconnectLogEvery == 1) {
        spdlog::warn("Job worker cannot reconnect (attempt {}): {}", attempt, e.what());
      }
      pause_after_error(pause);
      pause = std::min(pause * 2, kMaxReconnectPause);
    }
  }
  return nullptr;
}

void WorkerPool::worker_loop(const std::string& queue, std::unique_ptr<db::Connection> conn) {
  while (!stopping_) {
    try {
      uint64_t seen = generation(queue);
      if (!run_next(queue, conn)) wait_for_work(queue, seen);
    } catch (const std::exception& e) {
      spdlog::error("Job worker on queue {} hit an error: {}", queue, e.what());
      pause_after_error(kErrorPause);
      if (!conn->healthy()) conn = reconnect();
      if (!conn) return;
    }
  }
}

bool WorkerPool::run_next(const std::string& queue, std::unique_ptr<db::Connection>& conn) {
  auto job = JobQueue(*conn).claim(queue, options_.instance, options_.lease);
  if (!job) return false;
  if (job->stalls > kMaxStalls) {
    record_failure(*job,
                   fmt::format("job stalled {} times (its worker stopped while running it)",
                               job->stalls),
                   false, false, *conn);
    return true;
  }
  if (job->stalls > 0) {
    spdlog::warn("Job {} (id {}) was lost by a stopped worker; running it again", job->name,
                 job->id);
  }
  run_job(*job, conn);
  return true;
}

void WorkerPool::run_job(const ClaimedJob& job, std::unique_ptr<db::Connection>& conn) {
  const JobHandler* handler = handlers_.find(job.name);
  if (!handler) {
    record_failure(job, "no handler for job " + job.name, false, false, *conn);
    return;
  }
  std::string error;
  JobContext ctx{job, *conn};
  try {
    (*handler)(ctx);
  } catch (const Error& e) {
    error = e.full_message();
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!conn->still_connected()) {
    spdlog::warn("Job worker lost its database connection while running {} (id {}); reconnecting",
                 job.name, job.id);
    conn = reconnect();
    if (!conn) return;  // stopping: the lease runs out and another worker runs the job again
  }
  if (!error.empty()) {
    record_failure(job, error, true, ctx.failure_reported, *conn);
    return;
  }
  if (!JobQueue(*conn).complete(job.id, options_.instance)) {
    spdlog::warn("Job {} (id {}) finished after its lease was taken over", job.name, job.id);
  }
  ++completed_;
  spdlog::debug("Job {} (id {}) completed", job.name, job.id);
}

void WorkerPool::record_failure(const ClaimedJob& job, const std::string& error, bool may_retry,
                                bool reported, db::Connection& conn) {
  spdlog::error("Unable to run job handler ({}): {}", job.name, error);
  bool final = JobQueue(conn).fail(job.id, options_.instance, error, may_retry);
  if (!final) {
    spdlog::warn("Job {} (id {}) will be retried (attempt {} of {})", job.name, job.id,
                 job.attempt, job.max_attempts);
    return;
  }
  ++failed_;
  if (!failure_hook_ || reported) return;
  try {
    failure_hook_(job, error, conn);
  } catch (const std::exception& e) {
    spdlog::error("Failure handling of job {} failed: {}", job.name, e.what());
  }
}

void WorkerPool::listener_loop(std::unique_ptr<db::Connection> conn) {
  while (!stopping_) {
    try {
      if (!conn) {
        conn = reconnect();
        if (!conn) return;
        conn->listen(kJobsChannel);
        wake_all();
      }
      auto n = conn->wait_notification(kListenerTick);
      if (n && n->channel == kJobsChannel) wake(n->payload);
    } catch (const std::exception& e) {
      spdlog::warn("Job listener lost its connection: {}", e.what());
      conn.reset();
      pause_after_error(kErrorPause);
    }
  }
}

void WorkerPool::keeper_loop(std::unique_ptr<db::Connection> conn) {
  auto next_prune = std::chrono::steady_clock::now();
  while (!stopping_) {
    try {
      JobQueue queue(*conn);
      queue.renew_leases(options_.instance, options_.lease);
      if (std::chrono::steady_clock::now() >= next_prune) {
        queue.prune_failed(options_.keep_failed);
        next_prune = std::chrono::steady_clock::now() + std::chrono::hours(1);
      }
    } catch (const std::exception& e) {
      spdlog::warn("Job lease keeper hit an error: {}", e.what());
      if (!conn->healthy()) conn = reconnect();
      if (!conn) return;
    }
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait_for(lock, options_.lease / 3, [&] { return stopping_.load(); });
  }
}

}  // namespace keepsake::jobs
