#include "jobs/nightly.h"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "common/error.h"
#include "config/system_config.h"
#include "jobs/handlers.h"
#include "jobs_fixture.h"

namespace keepsake::jobs {
namespace {

class NightlyTest : public testing::JobsDatabaseTest {
 protected:
  std::vector<std::string> queued_names() {
    auto r = conn_->exec("SELECT name FROM keepsake.job ORDER BY id");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  }
  // Pretends the last recorded run was a day earlier, so the current slot is due.
  void make_slot_due() {
    conn_->exec("UPDATE keepsake.job_schedule SET last_slot = last_slot - interval '1 day'");
  }
};

TEST(NightlySlotTest, LastAndNextSlotFollowTheLocalClock) {
  auto now = Clock::now();
  auto last = last_slot("03:30", now);
  auto next = next_slot("03:30", now);
  EXPECT_LE(last, now);
  EXPECT_GT(next, now);
  EXPECT_LE(next - last, std::chrono::hours(25));
  std::time_t t = Clock::to_time_t(last);
  std::tm local{};
  localtime_r(&t, &local);
  EXPECT_EQ(local.tm_hour, 3);
  EXPECT_EQ(local.tm_min, 30);
  EXPECT_THROW(last_slot("25:00", now), Error);
  EXPECT_THROW(last_slot("7pm", now), Error);
}

TEST_F(NightlyTest, TwoInstancesQueueTheNightlySetOnce) {
  NightlyScheduler a(db_config_), b(db_config_);
  EXPECT_EQ(a.tick(), 0) << "the first start only records the slot";
  EXPECT_TRUE(a.holds_lock());
  EXPECT_EQ(b.tick(), 0);
  EXPECT_FALSE(b.holds_lock()) << "lock 600 is taken by the other instance";
  make_slot_due();
  int queued = a.tick() + b.tick() + a.tick() + b.tick();
  auto names = queued_names();
  EXPECT_EQ(queued, static_cast<int>(names.size()));
  std::vector<std::string> expected = {"AssetDeleteCheck", "UserDeleteCheck",  "PersonCleanup",
                                       "MemoryCleanup",    "SessionCleanup",   "AuditTableCleanup",
                                       "AuditLogCleanup",  "NotificationsCleanup",
                                       "MemoryGenerate",   "UserSyncUsage"};
  EXPECT_EQ(names, expected);

  a.stop();  // the holder goes away: the other takes over, and still does not repeat the slot
  EXPECT_EQ(b.tick(), 0);
  EXPECT_TRUE(b.holds_lock());
  EXPECT_EQ(queued_names().size(), expected.size());
}

TEST_F(NightlyTest, SlotRecordAloneStopsADoubleQueueWithoutTheLock) {
  EXPECT_EQ(queue_nightly_if_due(*conn_, Clock::now()), 0);
  make_slot_due();
  auto other = db::Connection::open(db_config_);
  int first = queue_nightly_if_due(*conn_, Clock::now());
  int second = queue_nightly_if_due(*other, Clock::now());
  EXPECT_GT(first, 0);
  EXPECT_EQ(second, 0);
}

TEST_F(NightlyTest, DatabaseCleanupOffQueuesOnlyTheOtherTasks) {
  auto settings = config::load_system_config(*conn_);
  settings["nightlyTasks"]["databaseCleanup"] = false;
  settings["nightlyTasks"]["syncQuotaUsage"] = false;
  config::save_system_config(*conn_, settings);
  EXPECT_EQ(queue_nightly_if_due(*conn_, Clock::now()), 0);
  make_slot_due();
  EXPECT_EQ(queue_nightly_if_due(*conn_, Clock::now()), 1);
  EXPECT_EQ(queued_names(), std::vector<std::string>{"MemoryGenerate"});
}

// The whole nightly set through real workers on a seeded database.
TEST_F(NightlyTest, NightlySetRunsThroughTheWorkers) {
  std::string gone = user("gone@example.com", "8 days");
  std::string file = touch(media_ + "/upload/" + gone + "/a.jpg");
  std::string owner = user("a@example.com");
  conn_->exec(R"(INSERT INTO session (token, "userId", "updatedAt")
                 VALUES (decode(md5(random()::text), 'hex'), $1, now() - interval '100 days'))",
              {owner});
  EXPECT_EQ(queue_nightly_if_due(*conn_, Clock::now()), 0);
  make_slot_due();
  ASSERT_GT(queue_nightly_if_due(*conn_, Clock::now()), 0);

  Config config = keepsake::testing::config_for(db_name_);
  config.media_location = media_;
  WorkerOptions o;
  o.concurrency = default_concurrency();
  o.poll = std::chrono::milliseconds(200);
  WorkerPool pool(db_config_, default_handlers(config, db_config_), o);
  pool.start();
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count("SELECT count(*) FROM keepsake.job") > 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pool.stop();
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0) << "every job ran and none failed";
  EXPECT_EQ(pool.failed(), 0);
  EXPECT_FALSE(exists("user", gone));
  EXPECT_FALSE(on_disk(file));
  EXPECT_TRUE(exists("user", owner));
  EXPECT_EQ(count("SELECT count(*) FROM session"), 0);
}

}  // namespace
}  // namespace keepsake::jobs
