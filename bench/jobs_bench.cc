// The job queue's overhead per job: N empty jobs queued in one statement, then drained by a
// WorkerPool (claim with FOR UPDATE SKIP LOCKED, run, delete) with 2 workers (Keepsake's way)
// and with 1 worker (the anchor: the same queue single-threaded, so the ratio is the gain of
// a second worker). Immich's own queue (BullMQ on Redis) cannot run here, so it is no anchor.
#include <chrono>
#include <thread>

#include "harness.h"
#include "jobs/job_names.h"
#include "jobs/queue.h"
#include "jobs/worker_pool.h"

namespace keepsake::bench {
namespace {

Measurement drain(BenchEnv& env, int64_t size, int workers) {
  std::string dbname = env.create_bootstrapped_database("jobs");
  auto db = env.database(dbname);
  auto conn = db::Connection::open(db);
  jobs::ensure_queue_schema(*conn);
  jobs::HandlerRegistry handlers;
  handlers.add("Empty", [](jobs::JobContext&) {});
  jobs::WorkerOptions options;
  options.concurrency = {{jobs::queue_name::kBackgroundTask, workers}};
  jobs::WorkerPool pool(db, handlers, options);
  pool.start();
  std::vector<nlohmann::json> data(static_cast<size_t>(size), nlohmann::json::object());
  auto start = std::chrono::steady_clock::now();
  jobs::JobQueue(*conn).enqueue_many("Empty", data);
  while (pool.completed() < size) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  pool.stop();
  conn.reset();
  env.drop_database(dbname);
  return {seconds, static_cast<double>(size)};
}

class JobsBench : public Benchmark {
 public:
  std::string name() const override { return "jobs"; }
  std::string title() const override { return "jobs — empty jobs through the PostgreSQL queue"; }
  std::string description() const override {
    return "N empty jobs are queued in one INSERT, then drained by a WorkerPool: each job is "
           "claimed (FOR UPDATE SKIP LOCKED, lease), run (no-op) and deleted, one round trip "
           "each. Keepsake = 2 workers, anchor = 1 worker on the same queue; the time is from "
           "the INSERT to the last completion, so it is the queue's overhead per job. Immich's "
           "BullMQ/Redis queue is not available here and is not compared.";
  }
  int64_t default_size() const override { return 5000; }
  std::string size_unit() const override { return "jobs"; }
  std::string units_name() const override { return "jobs"; }
  std::string keepsake_label() const override { return "WorkerPool, 2 workers"; }
  std::string anchor_label() const override { return "WorkerPool, 1 worker"; }
  Measurement run_keepsake(BenchEnv& env, int64_t size) override { return drain(env, size, 2); }
  Measurement run_anchor(BenchEnv& env, int64_t size) override { return drain(env, size, 1); }
  std::vector<std::string> commands(int64_t size) const override {
    return {"bench/run.sh --only jobs --size " + std::to_string(size) +
            "   # in-process: JobQueue::enqueue_many + WorkerPool{backgroundTask: 2 | 1}"};
  }
};

KEEPSAKE_BENCHMARK(JobsBench);

}  // namespace
}  // namespace keepsake::bench
