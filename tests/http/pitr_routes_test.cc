// GET /api/admin/pitr: admins only, and the shape of `pitr status --json` (here for a library
// without an archive; tests/pitr/pitr_test.cc checks an enabled one through the CLI).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "app/app_context.h"
#include "harness/test_cluster.h"
#include "http/test_server.h"

namespace keepsake::http {
namespace {

Authenticator as(bool admin) { return keepsake::testing::signed_in_as(admin); }

TEST(PitrRoutesTest, AdminsGetTheStatusOthersAreRefused) {
  keepsake::testing::TempDir data;
  Config config = load_config({{"KEEPSAKE_DATA_DIR", data.path()}});
  config.db = keepsake::testing::superuser_config();
  app::AppContext app(config);
  httplib::Headers key{{"x-api-key", "k"}};
  {
    keepsake::testing::RunningServer server(kNormalRoutes, {.app = &app}, as(false));
    EXPECT_EQ(server.client().Get("/api/admin/pitr")->status, 401);
    EXPECT_EQ(server.client().Get("/api/admin/pitr", key)->status, 403);
  }
  keepsake::testing::RunningServer server(kNormalRoutes, {.app = &app}, as(true));
  auto res = server.client().Get("/api/admin/pitr", key);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["enabled"], false);
  EXPECT_EQ(j["archive"], data.path() + "/pitr");
  EXPECT_TRUE(j["earliestRecoverable"].is_null());
  EXPECT_EQ(j["slot"]["name"], "keepsake_pitr");
  EXPECT_TRUE(j["restorePoints"].is_array());
  EXPECT_TRUE(j["problems"].is_array());
}

}  // namespace
}  // namespace keepsake::http
