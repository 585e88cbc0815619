#include "jobs/queue.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "db/locks.h"
#include "harness/test_cluster.h"
#include "jobs/job_names.h"

namespace keepsake::jobs {
namespace {

using namespace std::chrono_literals;

class JobQueueTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    ensure_queue_schema(*conn_);
  }
  int64_t rows() { return conn_->exec("SELECT count(*) FROM keepsake.job").int64(0, 0); }
  std::string status(int64_t id) {
    return conn_->exec("SELECT status FROM keepsake.job WHERE id = $1", {std::to_string(id)})
        .text(0, 0);
  }
};

TEST_F(JobQueueTest, QueueLivesInTheKeepsakeSchema) {
  EXPECT_TRUE(conn_->exec("SELECT to_regclass('keepsake.job') IS NOT NULL").boolean(0, 0));
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").int64(0, 0), 0);
}

TEST_F(JobQueueTest, ClaimedJobIsInvisibleToOthersAndRemovedOnCompletion) {
  JobQueue q(*conn_);
  int64_t id = q.enqueue({"TagCleanup", {{"x", 1}}});
  auto job = q.claim("backgroundTask", "w1", 60s);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id, id);
  EXPECT_EQ(job->name, "TagCleanup");
  EXPECT_EQ(job->data["x"], 1);
  EXPECT_EQ(job->attempt, 1);
  EXPECT_FALSE(q.claim("backgroundTask", "w2", 60s).has_value());
  EXPECT_FALSE(q.complete(id, "w2"));
  EXPECT_TRUE(q.complete(id, "w1"));
  EXPECT_EQ(rows(), 0);
}

TEST_F(JobQueueTest, JobsGoToTheirImmichQueue) {
  JobQueue q(*conn_);
  q.enqueue({"DatabaseBackup"});
  q.enqueue({"SessionCleanup"});
  EXPECT_EQ(q.counts("backupDatabase").waiting, 1);
  EXPECT_EQ(q.counts("backgroundTask").waiting, 1);
  auto job = q.claim("backupDatabase", "w", 60s);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->name, "DatabaseBackup");
}

TEST_F(JobQueueTest, OneAttemptByDefaultAndFailedJobsAreKept) {
  JobQueue q(*conn_);
  int64_t id = q.enqueue({"TagCleanup"});
  ASSERT_TRUE(q.claim("backgroundTask", "w", 60s).has_value());
  EXPECT_TRUE(q.fail(id, "w", "disk on fire"));
  EXPECT_EQ(status(id), "failed");
  EXPECT_FALSE(q.claim("backgroundTask", "w", 60s).has_value());
  auto c = q.counts("backgroundTask");
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.waiting, 0);
  auto failed = q.failed_jobs("backgroundTask");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error, "disk on fire");
  EXPECT_EQ(q.prune_failed(std::chrono::hours(1)), 0);
  EXPECT_EQ(q.clear_failed("backgroundTask"), 1);
  EXPECT_EQ(rows(), 0);
}

TEST_F(JobQueueTest, FailedJobsArePrunedOnlyAfterTheirRetention) {
  JobQueue q(*conn_);
  auto failed_job = [&](const std::string& failed_ago) {
    int64_t id = q.enqueue({"TagCleanup"});
    EXPECT_TRUE(q.claim("backgroundTask", "w", 60s).has_value());
    EXPECT_TRUE(q.fail(id, "w", "boom"));
    // Move the failure back in time (the row's own timestamps, as if it failed back then).
    conn_->exec("UPDATE keepsake.job SET finished_at = finished_at - $2::interval, "
                "created_at = created_at - $2::interval WHERE id = $1",
                {std::to_string(id), failed_ago});
    return id;
  };
  failed_job("8 days");
  int64_t edge = failed_job("6 days 23 hours");
  int64_t fresh = failed_job("1 minute");
  int64_t waiting = q.enqueue({"TagCleanup"});
  conn_->exec("UPDATE keepsake.job SET created_at = created_at - interval '30 days' WHERE id = $1",
              {std::to_string(waiting)});
  EXPECT_EQ(q.prune_failed(std::chrono::hours(24 * 7)), 1);
  auto ids = conn_->exec("SELECT id FROM keepsake.job ORDER BY id");
  ASSERT_EQ(ids.rows(), 3);
  EXPECT_EQ(ids.int64(0, 0), edge);
  EXPECT_EQ(ids.int64(1, 0), fresh);
  EXPECT_EQ(ids.int64(2, 0), waiting) << "only failed jobs are pruned, however old";
  EXPECT_EQ(status(edge), "failed");
  EXPECT_EQ(q.counts("backgroundTask").failed, 2);
  EXPECT_EQ(q.prune_failed(std::chrono::hours(1)), 1) << "a shorter retention takes the next one";
  EXPECT_EQ(q.counts("backgroundTask").failed, 1);
}

TEST_F(JobQueueTest, RetryPolicyRunsAgainUntilAttemptsAreUsed) {
  JobQueue q(*conn_);
  JobRequest r{"TagCleanup"};
  r.options.max_attempts = 3;
  r.options.backoff = 0ms;
  int64_t id = q.enqueue(r);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto job = q.claim("backgroundTask", "w", 60s);
    ASSERT_TRUE(job.has_value()) << attempt;
    EXPECT_EQ(job->attempt, attempt);
    EXPECT_EQ(q.fail(id, "w", "boom"), attempt == 3);
  }
  EXPECT_EQ(status(id), "failed");
}

TEST_F(JobQueueTest, BackoffDelaysTheRetry) {
  JobQueue q(*conn_);
  JobRequest r{"TagCleanup"};
  r.options.max_attempts = 2;
  r.options.backoff = std::chrono::hours(1);
  int64_t id = q.enqueue(r);
  ASSERT_TRUE(q.claim("backgroundTask", "w", 60s).has_value());
  EXPECT_FALSE(q.fail(id, "w", "boom"));
  EXPECT_EQ(q.counts("backgroundTask").delayed, 1);
  EXPECT_FALSE(q.claim("backgroundTask", "w", 60s).has_value());
}

TEST_F(JobQueueTest, PausedQueueKeepsItsJobsUntilResumed) {
  JobQueue q(*conn_);
  q.enqueue({"TagCleanup"});
  q.pause("backgroundTask");
  EXPECT_FALSE(q.claim("backgroundTask", "w", 60s).has_value());
  auto c = q.counts("backgroundTask");
  EXPECT_TRUE(c.is_paused);
  EXPECT_EQ(c.paused, 1);
  EXPECT_EQ(c.waiting, 0);
  EXPECT_FALSE(q.is_paused("backupDatabase"));
  q.resume("backgroundTask");
  EXPECT_TRUE(q.claim("backgroundTask", "w", 60s).has_value());
}

TEST_F(JobQueueTest, NothingIsClaimedWhileTheMaintenanceLockIsHeld) {
  JobQueue q(*conn_);
  q.enqueue({"TagCleanup"});
  {
    auto held = db::try_lock(db_config_, db::DatabaseLock::MaintenanceOperation);
    ASSERT_NE(held, nullptr);
    EXPECT_FALSE(q.claim("backgroundTask", "w", 60s).has_value());
    q.enqueue({"SessionCleanup"});
    EXPECT_EQ(q.counts("backgroundTask").waiting, 2);
  }
  EXPECT_TRUE(q.claim("backgroundTask", "w", 60s).has_value());
}

TEST_F(JobQueueTest, MaintenanceLockOfAnotherDatabaseDoesNotBlock) {
  auto other = keepsake::testing::create_fresh_database("jobs_other");
  {
    auto held = db::try_lock(keepsake::testing::superuser_config(other),
                             db::DatabaseLock::MaintenanceOperation);
    ASSERT_NE(held, nullptr);
    JobQueue q(*conn_);
    q.enqueue({"TagCleanup"});
    EXPECT_TRUE(q.claim("backgroundTask", "w", 60s).has_value());
  }
  keepsake::testing::drop_database(other);
}

TEST_F(JobQueueTest, ExpiredLeaseIsClaimedAgainAndTheOldWorkerCannotComplete) {
  JobQueue q(*conn_);
  int64_t id = q.enqueue({"TagCleanup"});
  ASSERT_TRUE(q.claim("backgroundTask", "dead", 1ms).has_value());
  conn_->exec("SELECT pg_sleep(0.01)");
  auto again = q.claim("backgroundTask", "alive", 60s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(again->stalls, 1);
  EXPECT_EQ(again->attempt, 1);
  EXPECT_FALSE(q.complete(id, "dead"));
  EXPECT_TRUE(q.complete(id, "alive"));
}

TEST_F(JobQueueTest, RenewedLeaseIsNotTakenOver) {
  JobQueue q(*conn_);
  q.enqueue({"TagCleanup"});
  ASSERT_TRUE(q.claim("backgroundTask", "w1", 1ms).has_value());
  EXPECT_EQ(q.renew_leases("w1", 60s), 1);
  EXPECT_FALSE(q.claim("backgroundTask", "w2", 60s).has_value());
}

TEST_F(JobQueueTest, BadInputIsRefusedAndNothingIsQueued) {
  JobQueue q(*conn_);
  try {
    q.enqueue("noSuchQueue", {"TagCleanup"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("noSuchQueue"), std::string::npos);
  }
  JobRequest zero{"TagCleanup"};
  zero.options.max_attempts = 0;
  EXPECT_THROW(q.enqueue(zero), Error);
  EXPECT_THROW(q.pause("nope"), Error);
  EXPECT_EQ(rows(), 0);
}

TEST_F(JobQueueTest, EnqueueManyAndEmpty) {
  JobQueue q(*conn_);
  std::vector<nlohmann::json> data;
  for (int i = 0; i < 1500; ++i) data.push_back({{"id", i}});
  EXPECT_EQ(q.enqueue_many("AssetDelete", data), 1500);
  EXPECT_EQ(q.counts("backgroundTask").waiting, 1500);
  EXPECT_EQ(q.empty("backgroundTask"), 1500);
  EXPECT_EQ(rows(), 0);
}

TEST_F(JobQueueTest, EnqueueNotifiesListeners) {
  auto listener = db::Connection::open(db_config_);
  listener->listen(kJobsChannel);
  JobQueue(*conn_).enqueue({"DatabaseBackup"});
  auto n = listener->wait_notification(5s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "backupDatabase");
}

TEST(JobNamesTest, ManualNamesAndNightlySet) {
  EXPECT_EQ(job_for_manual_name("user-cleanup"), "UserDeleteCheck");
  EXPECT_EQ(job_for_manual_name("backup-database"), "DatabaseBackup");
  EXPECT_FALSE(job_for_manual_name("nope").has_value());
  EXPECT_EQ(all_queue_names().size(), 18u);
  auto nightly = nightly_jobs(true, false, false);
  EXPECT_NE(std::find(nightly.begin(), nightly.end(), "AuditLogCleanup"), nightly.end());
  EXPECT_TRUE(nightly_jobs(false, false, false).empty());
}

}  // namespace
}  // namespace keepsake::jobs
