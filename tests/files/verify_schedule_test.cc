// The nightly checksum-verification slice on a library seeded with its files (dev seed --files):
// each tick reads its share of a pass once across instances, and a newly damaged original reaches
// the admin as one notification.
#include "files/verify_schedule.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "config/keepsake_settings.h"
#include "storage/seeded_library.h"

namespace keepsake::files {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class VerifyScheduleTest : public storage::testing::SeededLibraryTest {
 protected:
  void set(const std::string& key, nlohmann::json value) {
    auto s = config::load_keepsake_settings(*conn_);
    s["storage"]["verify"][key] = std::move(value);
    config::save_keepsake_settings(*conn_, s);
  }
  int64_t notifications() {
    return conn_->exec(R"(SELECT count(*) FROM notification WHERE description LIKE 'Job StorageVerify failed%')")
        .int64(0, 0);
  }
};

TEST_F(VerifyScheduleTest, EachTickReadsItsShareOnceAndANewlyMissingOriginalReachesTheAdmin) {
  set("passDays", 3);
  set("maxMbPerSecond", 0);
  int64_t total = conn_->exec(R"(SELECT count(*) FROM asset WHERE status <> 'deleted')").int64(0, 0);
  int64_t share = (total + 2) / 3;
  ASSERT_GT(total, 3);
  VerifyScheduler a(db_config_), b(db_config_);
  auto night = std::chrono::system_clock::from_time_t(1800000000);

  auto first = a.run_tick(night);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->checked_this_run, share);
  EXPECT_FALSE(first->pass_complete);
  EXPECT_FALSE(b.run_tick(night)) << "a tick runs once across instances";

  // The last original in the pass's (id) order goes missing: the third night finds it.
  auto last = conn_->exec(R"(SELECT "originalPath", id FROM asset WHERE status <> 'deleted' ORDER BY id DESC LIMIT 1)");
  ASSERT_TRUE(fs::remove(last.text(0, 0)));
  auto second = b.run_tick(night + 24h);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->checked_in_pass, 2 * share);
  EXPECT_EQ(notifications(), 0);
  auto third = a.run_tick(night + 48h);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->pass_complete);
  EXPECT_EQ(third->checked_in_pass, total);
  ASSERT_EQ(third->findings.size(), 1u);
  EXPECT_EQ(third->findings[0].asset_id, last.text(0, 1));
  EXPECT_EQ(notifications(), 1);

  // The next night starts a new pass; the missing original is not reached again yet: no new alert.
  auto fourth = a.run_tick(night + 72h);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->checked_in_pass, share);
  EXPECT_EQ(notifications(), 1);

  // A verification run by hand holds the pass (its advisory lock): the night's slice is skipped
  // quietly, not reported to the admin as a failure.
  {
    auto by_hand = db::Connection::open(db_config_);
    by_hand->exec("SELECT pg_advisory_lock(x'6b73766572696679'::bigint)");  // storage verify's lock
    EXPECT_FALSE(a.run_tick(night + 80h));
    EXPECT_EQ(notifications(), 1);
  }
  EXPECT_THROW(set("cronExpression", "not a cron"), Error) << "an invalid schedule is refused";
  set("enabled", false);
  EXPECT_FALSE(a.run_tick(night + 96h)) << "switched off";
}

}  // namespace
}  // namespace keepsake::files
