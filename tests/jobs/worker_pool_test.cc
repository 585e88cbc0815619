#include "jobs/worker_pool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "common/error.h"
#include "db/locks.h"
#include "harness/log_capture.h"
#include "harness/test_cluster.h"
#include "jobs/job_names.h"

namespace keepsake::jobs {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) for a condition that another thread or process makes true.
bool eventually(const std::function<bool()>& done, std::chrono::seconds limit = 30s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

class WorkerPoolTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    ensure_queue_schema(*conn_);
    conn_->exec("CREATE TABLE runs (job_id bigint, instance text, attempt int)");
  }
  int64_t count(const std::string& sql) { return conn_->exec(sql).int64(0, 0); }

  // A handler that records each run in table `runs`.
  JobHandler recorder(const std::string& instance) {
    return [instance](JobContext& ctx) {
      ctx.conn.exec("INSERT INTO runs VALUES ($1, $2, $3)",
                    {std::to_string(ctx.job.id), instance, std::to_string(ctx.job.attempt)});
    };
  }
  WorkerOptions options(int concurrency, std::chrono::milliseconds poll = 60s) {
    WorkerOptions o;
    o.concurrency = {{queue_name::kBackgroundTask, concurrency}};
    o.poll = poll;
    o.lease = 5s;
    return o;
  }
};

TEST_F(WorkerPoolTest, NotifyWakesIdleWorkersAndCompletedJobsAreRemoved) {
  HandlerRegistry handlers;
  handlers.add("TagCleanup", recorder("a"));
  WorkerPool pool(db_config_, handlers, options(2));  // poll of 60 s: only NOTIFY can wake it
  pool.start();
  JobQueue q(*conn_);
  for (int i = 0; i < 10; ++i) q.enqueue({"TagCleanup"});
  ASSERT_TRUE(eventually([&] { return pool.completed() == 10; }));
  pool.stop();
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 10);
  EXPECT_EQ(count("SELECT count(DISTINCT job_id) FROM runs"), 10);
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0);
}

TEST_F(WorkerPoolTest, FailureIsKeptLoggedAndReported) {
  HandlerRegistry handlers;
  handlers.add("TagCleanup", [](JobContext&) { throw Error(ErrorKind::kIo, "tag store unreadable"); });
  std::mutex mu;
  std::vector<std::string> reported;
  WorkerPool pool(db_config_, handlers, options(1));
  pool.set_failure_hook([&](const ClaimedJob& job, const std::string& error, db::Connection&) {
    std::lock_guard lock(mu);
    reported.push_back(job.name + ": " + error);
  });
  pool.start();
  int64_t id = JobQueue(*conn_).enqueue({"TagCleanup"});
  int64_t unknown = JobQueue(*conn_).enqueue({"NoSuchJob"});
  ASSERT_TRUE(eventually([&] { return pool.failed() == 2; }));
  pool.stop();
  auto r = conn_->exec("SELECT id, status, error FROM keepsake.job ORDER BY id");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.int64(0, 0), id);
  EXPECT_EQ(r.text(0, 1), "failed");
  EXPECT_EQ(r.text(0, 2), "tag store unreadable");
  EXPECT_EQ(r.int64(1, 0), unknown);
  EXPECT_EQ(r.text(1, 2), "no handler for job NoSuchJob");
  std::lock_guard lock(mu);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_NE(std::find(reported.begin(), reported.end(), "TagCleanup: tag store unreadable"),
            reported.end());
}

TEST_F(WorkerPoolTest, KeeperPrunesFailedJobsPastTheDefaultRetention) {
  JobQueue q(*conn_);
  auto failed_job = [&](const std::string& failed_ago) {
    int64_t id = q.enqueue({"NoSuchJob"});
    EXPECT_TRUE(q.claim("backgroundTask", "old-instance", 60s).has_value());
    EXPECT_TRUE(q.fail(id, "old-instance", "no handler"));
    conn_->exec("UPDATE keepsake.job SET finished_at = finished_at - $2::interval WHERE id = $1",
                {std::to_string(id), failed_ago});
    return id;
  };
  failed_job("8 days");
  int64_t recent = failed_job("2 days");
  HandlerRegistry handlers;
  WorkerOptions o = options(1);
  ASSERT_EQ(o.keep_failed, std::chrono::hours(24 * 7)) << "docs/JOBS.md: failed jobs stay 7 days";
  WorkerPool pool(db_config_, handlers, o);
  pool.start();  // the keeper prunes once at start, then hourly
  bool pruned = eventually([&] { return count("SELECT count(*) FROM keepsake.job") == 1; });
  pool.stop();
  ASSERT_TRUE(pruned);
  EXPECT_EQ(count("SELECT id FROM keepsake.job"), recent);
}

TEST_F(WorkerPoolTest, RetriedJobRunsUntilItSucceeds) {
  HandlerRegistry handlers;
  handlers.add("TagCleanup", [](JobContext& ctx) {
    ctx.conn.exec("INSERT INTO runs VALUES ($1, 'a', $2)",
                  {std::to_string(ctx.job.id), std::to_string(ctx.job.attempt)});
    if (ctx.job.attempt < 3) throw Error(ErrorKind::kUnavailable, "not yet");
  });
  WorkerPool pool(db_config_, handlers, options(1));
  pool.start();
  JobRequest r{"TagCleanup"};
  r.options.max_attempts = 5;
  r.options.backoff = 0ms;
  JobQueue(*conn_).enqueue(r);
  ASSERT_TRUE(eventually([&] { return pool.completed() == 1; }));
  pool.stop();
  EXPECT_EQ(count("SELECT max(attempt) FROM runs"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0);
}

// A worker process is killed (SIGKILL) while it holds a job; another instance runs it again once
// the lease runs out.
TEST_F(WorkerPoolTest, JobOfAKilledWorkerRunsAgain) {
  int64_t id = JobQueue(*conn_).enqueue({"TagCleanup"});
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    HandlerRegistry handlers;
    handlers.add("TagCleanup", [&](JobContext&) {
      char c = 'R';
      if (write(ready[1], &c, 1) != 1) _exit(3);
      pause();
    });
    WorkerOptions o;
    o.concurrency = {{queue_name::kBackgroundTask, 1}};
    o.lease = 1s;
    try {
      WorkerPool pool(db_config_, handlers, o);
      pool.start();
      pause();
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job WHERE status = 'active'"), 1);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  HandlerRegistry handlers;
  handlers.add("TagCleanup", recorder("survivor"));
  WorkerPool pool(db_config_, handlers, options(1, 200ms));
  pool.start();
  ASSERT_TRUE(eventually([&] { return pool.completed() == 1; }));
  pool.stop();
  auto r = conn_->exec("SELECT job_id, instance FROM runs");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.int64(0, 0), id);
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0);
}

// Two instances on one queue: every job runs exactly once, and both instances take part.
TEST_F(WorkerPoolTest, TwoInstancesShareTheQueueWithoutRunningAJobTwice) {
  HandlerRegistry a, b;
  auto slow = [](JobHandler inner) {
    return [inner](JobContext& ctx) {
      inner(ctx);
      std::this_thread::sleep_for(2ms);
    };
  };
  a.add("TagCleanup", slow(recorder("a")));
  b.add("TagCleanup", slow(recorder("b")));
  WorkerPool pa(db_config_, a, options(2));
  WorkerPool pb(db_config_, b, options(2));
  pa.start();
  pb.start();
  std::vector<nlohmann::json> data(300, nlohmann::json::object());
  JobQueue(*conn_).enqueue_many("TagCleanup", data);
  ASSERT_TRUE(eventually([&] { return pa.completed() + pb.completed() == 300; }));
  pa.stop();
  pb.stop();
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 300);
  EXPECT_EQ(count("SELECT count(DISTINCT job_id) FROM runs"), 300);
  EXPECT_GT(count("SELECT count(*) FROM runs WHERE instance = 'a'"), 0);
  EXPECT_GT(count("SELECT count(*) FROM runs WHERE instance = 'b'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0);
}

TEST_F(WorkerPoolTest, JobsWaitDuringMaintenanceAndRunAfterwards) {
  HandlerRegistry handlers;
  handlers.add("TagCleanup", recorder("a"));
  WorkerPool pool(db_config_, handlers, options(1, 200ms));
  pool.start();
  auto held = db::try_lock(db_config_, db::DatabaseLock::MaintenanceOperation);
  ASSERT_NE(held, nullptr);
  JobQueue(*conn_).enqueue({"TagCleanup"});
  std::this_thread::sleep_for(600ms);  // several poll rounds while maintenance holds lock 621
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 0);
  EXPECT_EQ(JobQueue(*conn_).counts(queue_name::kBackgroundTask).waiting, 1);
  held.reset();
  ASSERT_TRUE(eventually([&] { return pool.completed() == 1; }));
  pool.stop();
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 1);
}

TEST_F(WorkerPoolTest, PausedQueueRunsNothingUntilResumed) {
  HandlerRegistry handlers;
  handlers.add("TagCleanup", recorder("a"));
  WorkerPool pool(db_config_, handlers, options(1));
  JobQueue q(*conn_);
  q.pause(queue_name::kBackgroundTask);
  pool.start();
  q.enqueue({"TagCleanup"});
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 0);
  q.resume(queue_name::kBackgroundTask);  // NOTIFYs: the idle worker wakes without polling
  ASSERT_TRUE(eventually([&] { return pool.completed() == 1; }));
  pool.stop();
}

// A database that refuses connections for a while: the worker retries with a growing pause, says
// so once instead of a line per attempt, and runs jobs again as soon as the database lets it in.
TEST_F(WorkerPoolTest, AWorkerCutOffRetriesWithBackOffLogsOnceAndGetsBack) {
  HandlerRegistry handlers;
  handlers.add("TagCleanup", recorder("a"));
  const std::string allow = "ALTER DATABASE " + db::quote_ident(db_name_) + " ALLOW_CONNECTIONS ";
  std::size_t cannot = 0;
  std::string log;
  {
    keepsake::testing::LogCapture capture;
    WorkerPool pool(db_config_, handlers, options(1, 200ms));
    pool.start();
    // From another database: PostgreSQL refuses to shut the current one.
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    admin->exec(allow + "false");
    admin->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", {db_name_});
    std::this_thread::sleep_for(5s);  // attempts at about 1, 2, 4 s: three or more refused
    admin->exec(allow + "true");
    conn_ = db::Connection::open(db_config_);
    JobQueue(*conn_).enqueue({"TagCleanup"});
    bool ran = eventually([&] { return pool.completed() == 1; });
    pool.stop();
    log = capture.text();
    ASSERT_TRUE(ran) << log;
  }
  // One line per reconnecting loop (worker, listener, lease keeper) for its first attempt only.
  const std::string cannot_line = "Job worker cannot reconnect (attempt ";
  for (auto at = log.find(cannot_line); at != std::string::npos; at = log.find(cannot_line, at + 1)) {
    ++cannot;
    EXPECT_EQ(log.substr(at + cannot_line.size(), 2), "1)") << log;
  }
  EXPECT_GE(cannot, 1u) << log;
  EXPECT_LE(cannot, 3u) << log;
  // The loop that noticed first (the listener, within its 0.5 s tick) was refused at 1, 2 and 4 s.
  const std::string back_line = "Job worker reconnected after ";
  int most_attempts = 0;
  for (auto at = log.find(back_line); at != std::string::npos; at = log.find(back_line, at + 1)) {
    most_attempts = std::max(most_attempts, std::stoi(log.substr(at + back_line.size())));
  }
  EXPECT_GE(most_attempts, 3) << log;
}

TEST_F(WorkerPoolTest, UnknownQueueInOptionsIsRefused) {
  WorkerOptions o;
  o.concurrency = {{"nope", 1}};
  EXPECT_THROW(WorkerPool(db_config_, HandlerRegistry{}, o), Error);
}

}  // namespace
}  // namespace keepsake::jobs
