#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "db/pool.h"
#include "http/test_server.h"
#include "jobs/queue.h"
#include "jobs_fixture.h"

namespace keepsake::jobs {
namespace {

class JobsRoutesTest : public testing::JobsDatabaseTest {
 protected:
  void SetUp() override {
    JobsDatabaseTest::SetUp();
    pool_ = std::make_unique<db::Pool>(db_config_, 4);
  }
  static http::Authenticator as(bool admin) { return keepsake::testing::signed_in_as(admin); }
  std::unique_ptr<db::Pool> pool_;
  httplib::Headers key_{{"x-api-key", "k"}};
};

TEST_F(JobsRoutesTest, ManualJobIsQueuedAndCountsHaveImmichsShape) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.pool = pool_.get()}, as(true));
  auto client = server.client();
  auto created = client.Post("/api/jobs", key_, R"({"name": "backup-database"})", "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 204) << created->body;
  auto res = client.Get("/api/jobs", key_);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body.size(), 18u);
  EXPECT_EQ(body["backupDatabase"]["jobCounts"]["waiting"], 1);
  for (const char* key : {"active", "completed", "delayed", "failed", "paused", "waiting"}) {
    EXPECT_TRUE(body["backgroundTask"]["jobCounts"].contains(key)) << key;
  }
  EXPECT_EQ(body["backgroundTask"]["queueStatus"]["isPaused"], false);
  EXPECT_EQ(body["backgroundTask"]["queueStatus"]["isActive"], false);
}

TEST_F(JobsRoutesTest, PauseAndResumeAQueue) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.pool = pool_.get()}, as(true));
  auto client = server.client();
  JobQueue(*conn_).enqueue(JobRequest("TagCleanup"));
  auto paused = client.Put("/api/jobs/backgroundTask", key_, R"({"command": "pause"})",
                           "application/json");
  ASSERT_TRUE(paused);
  ASSERT_EQ(paused->status, 200) << paused->body;
  auto body = nlohmann::json::parse(paused->body);
  EXPECT_EQ(body["queueStatus"]["isPaused"], true);
  EXPECT_EQ(body["jobCounts"]["paused"], 1);
  auto resumed = client.Put("/api/jobs/backgroundTask", key_, R"({"command": "resume"})",
                            "application/json");
  ASSERT_TRUE(resumed);
  EXPECT_EQ(nlohmann::json::parse(resumed->body)["queueStatus"]["isPaused"], false);
  EXPECT_FALSE(JobQueue(*conn_).is_paused("backgroundTask"));
}

TEST_F(JobsRoutesTest, BadRequestsAndNonAdminsAreRefused) {
  {
    keepsake::testing::RunningServer server(http::kNormalRoutes, {.pool = pool_.get()}, as(true));
    auto client = server.client();
    auto bad_name = client.Post("/api/jobs", key_, R"({"name": "rm-rf"})", "application/json");
    ASSERT_TRUE(bad_name);
    EXPECT_EQ(bad_name->status, 400);
    auto bad_queue = client.Put("/api/jobs/nope", key_, R"({"command": "pause"})", "application/json");
    ASSERT_TRUE(bad_queue);
    EXPECT_EQ(bad_queue->status, 400);
    auto bad_command = client.Put("/api/jobs/backgroundTask", key_, R"({"command": "explode"})",
                                  "application/json");
    ASSERT_TRUE(bad_command);
    EXPECT_EQ(bad_command->status, 400);
  }
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.pool = pool_.get()}, as(false));
  auto client = server.client();
  auto forbidden = client.Post("/api/jobs", key_, R"({"name": "tag-cleanup"})", "application/json");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);
  EXPECT_EQ(count("SELECT count(*) FROM keepsake.job"), 0);
}

}  // namespace
}  // namespace keepsake::jobs
