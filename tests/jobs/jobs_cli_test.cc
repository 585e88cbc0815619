// `keepsake jobs ...` run as the real binary against a bootstrapped test database.
#include <gtest/gtest.h>

#include "common/process.h"
#include "jobs_fixture.h"
#include "harness/paths.h"

namespace keepsake::jobs {
namespace {

class JobsCliTest : public testing::JobsDatabaseTest {
 protected:
  ProcessResult keepsake(std::vector<std::string> args) {
    args.insert(args.begin(), keepsake::testing::keepsake_binary());
    std::string url = keepsake::testing::database_url(db_name_);
    ProcessOptions options;
    options.argv = args;
    options.env = minimal_environment({{"DB_URL", url},
                                       {"IMMICH_MEDIA_LOCATION", media_},
                                       {"KEEPSAKE_DATA_DIR", tmp_.path() + "/data"},
                                       {"IMMICH_LOG_LEVEL", "warn"}});
    return run_process(options);
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
};

TEST_F(JobsCliTest, RunQueueStatusPauseAndResume) {
  auto queued = keepsake({"jobs", "run", "tag-cleanup", "--queue"});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_TRUE(has(queued.out, "Queued TagCleanup")) << queued.out;
  auto paused = keepsake({"jobs", "pause", "backgroundTask"});
  ASSERT_EQ(paused.exit_code, 0) << paused.err;
  auto status = keepsake({"jobs", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.out, "backgroundTask")) << status.out;
  EXPECT_TRUE(has(status.out, "paused")) << status.out;
  EXPECT_EQ(JobQueue(*conn_).counts("backgroundTask").paused, 1);
  ASSERT_EQ(keepsake({"jobs", "resume", "backgroundTask"}).exit_code, 0);
  EXPECT_EQ(JobQueue(*conn_).counts("backgroundTask").waiting, 1);
}

TEST_F(JobsCliTest, RunExecutesTheJobNow) {
  std::string owner = user("a@example.com");
  conn_->exec(R"(INSERT INTO tag ("userId", value) VALUES ($1, 'empty'))", {owner});
  auto r = keepsake({"jobs", "run", "TagCleanup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM tag"), 0);
}

TEST_F(JobsCliTest, UnknownNamesAreRefusedWithTheAcceptedOnes) {
  auto r = keepsake({"jobs", "run", "format-disk"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "unknown job \"format-disk\"")) << r.err;
  EXPECT_TRUE(has(r.err, "person-cleanup")) << r.err;
  auto p = keepsake({"jobs", "pause", "nope"});
  EXPECT_NE(p.exit_code, 0);
  EXPECT_TRUE(has(p.err, "unknown queue")) << p.err;
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0);
}

}  // namespace
}  // namespace keepsake::jobs
