// The auth routes over real HTTP against a real database: Immich's shapes, cookies, status codes,
// and logs free of passwords, tokens and keys.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/auth_fixture.h"
#include "auth/crypto.h"
#include "harness/log_capture.h"
#include "http/test_server.h"

namespace keepsake::http {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kHash = "$2b$10$VkNhEOwuWTkyfgIIOSFvC.dDr1xdbPG6cTQ3XxrvbBHjPJ/uZKKki";

using keepsake::testing::LogCapture;

class AuthRoutesTest : public keepsake::testing::AuthDatabaseTest {
 protected:
  void SetUp() override {
    AuthDatabaseTest::SetUp();
    RouteDeps deps{.pool = pool_.get(), .auth = auth_.get()};
    server_ = std::make_unique<keepsake::testing::RunningServer>(
        kNormalRoutes, deps, [this](const auth::Credentials& c) { return auth_->authenticate(c); });
  }
  void TearDown() override {
    server_.reset();
    AuthDatabaseTest::TearDown();
  }
  httplib::Client client() { return server_->client(); }

  std::unique_ptr<keepsake::testing::RunningServer> server_;
};

json body(const httplib::Result& res) { return json::parse(res->body); }

TEST_F(AuthRoutesTest, AdminSignUpLoginMeApiKeysLogoutAndNoSecretsInLogs) {
  LogCapture logs;
  auto c = client();
  auto signup = c.Post("/api/auth/admin-sign-up",
                       json{{"email", "admin@example.com"}, {"password", kPassword}, {"name", "A"}}.dump(),
                       "application/json");
  ASSERT_TRUE(signup);
  ASSERT_EQ(signup->status, 201) << signup->body;
  EXPECT_EQ(body(signup)["isAdmin"], true);
  EXPECT_EQ(body(signup).count("password"), 0u);
  auto again = c.Post("/api/auth/admin-sign-up",
                      json{{"email", "b@example.com"}, {"password", "x"}, {"name", "B"}}.dump(),
                      "application/json");
  EXPECT_EQ(again->status, 400);
  EXPECT_EQ(body(again)["message"], "The server already has an admin");

  auto bad = c.Post("/api/auth/login",
                    json{{"email", "admin@example.com"}, {"password", "not-it"}}.dump(),
                    "application/json");
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(body(bad), json({{"message", "Incorrect email or password"},
                             {"error", "Unauthorized"},
                             {"statusCode", 401}}));

  auto login = c.Post("/api/auth/login",
                      json{{"email", "Admin@Example.com "}, {"password", kPassword}}.dump(),
                      "application/json");
  ASSERT_EQ(login->status, 201) << login->body;
  json l = body(login);
  std::string token = l["accessToken"];
  for (const char* key : {"accessToken", "userId", "userEmail", "name", "isAdmin",
                          "profileImagePath", "shouldChangePassword", "isOnboarded"}) {
    EXPECT_TRUE(l.contains(key)) << key;
  }
  std::string cookies;
  for (size_t i = 0; i < login->get_header_value_count("Set-Cookie"); ++i) {
    cookies += login->get_header_value("Set-Cookie", i) + "\n";
  }
  EXPECT_NE(cookies.find("immich_access_token=" + token), std::string::npos) << cookies;
  EXPECT_NE(cookies.find("immich_auth_type=password"), std::string::npos);
  EXPECT_NE(cookies.find("immich_is_authenticated=true"), std::string::npos);

  httplib::Headers bearer = {{"Authorization", "Bearer " + token}};
  auto me = c.Get("/api/users/me", bearer);
  ASSERT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(body(me)["email"], "admin@example.com");
  EXPECT_EQ(c.Get("/api/users/me", {{"Cookie", "immich_access_token=" + token}})->status, 200);
  EXPECT_EQ(c.Get("/api/users/me")->status, 401);
  EXPECT_EQ(c.Get("/api/users/me", {{"Authorization", "Bearer nope"}})->status, 401);

  auto created = c.Post("/api/api-keys", bearer,
                        json{{"name", "backups"}, {"permissions", {"backup.download"}}}.dump(),
                        "application/json");
  ASSERT_EQ(created->status, 201) << created->body;
  std::string secret = body(created)["secret"];
  std::string key_id = body(created)["apiKey"]["id"];
  EXPECT_EQ(body(created)["apiKey"]["permissions"], json({"backup.download"}));
  httplib::Headers by_key = {{"x-api-key", secret}};
  // The key lacks user.read: 403 with Immich's message.
  auto forbidden = c.Get("/api/users/me", by_key);
  EXPECT_EQ(forbidden->status, 403);
  EXPECT_EQ(body(forbidden)["message"], "Missing required permission: user.read");
  auto list = c.Get("/api/api-keys", bearer);
  ASSERT_EQ(list->status, 200);
  ASSERT_EQ(body(list).size(), 1u);
  EXPECT_EQ(body(list)[0].count("secret"), 0u);
  EXPECT_EQ(c.Get("/api/api-keys/not-a-uuid", bearer)->status, 400);
  EXPECT_EQ(c.Delete("/api/api-keys/" + key_id, bearer)->status, 204);
  EXPECT_EQ(c.Get("/api/users/me", by_key)->status, 401);
  EXPECT_EQ(c.Delete("/api/api-keys/" + key_id, bearer)->status, 400);

  auto logout = c.Post("/api/auth/logout", bearer, "", "application/json");
  ASSERT_EQ(logout->status, 200) << logout->body;
  EXPECT_EQ(body(logout)["successful"], true);
  EXPECT_EQ(c.Get("/api/users/me", bearer)->status, 401);

  std::string text = logs.text();
  EXPECT_NE(text.find("POST /api/auth/login 201"), std::string::npos) << text;
  for (const std::string& s : {std::string(kPassword), token, secret, auth::to_hex(auth::sha256(token)),
                               std::string("not-it")}) {
    EXPECT_EQ(text.find(s), std::string::npos) << "secret in logs: " << text;
  }
}

// A NULL avatarColor is answered as Immich derives it from the e-mail (u@example.com: code points
// 1294, % 10 = 4 -> "blue", see user_json_test.cc); a stored one as it is.
TEST_F(AuthRoutesTest, UsersMeAnswersImmichsAvatarColor) {
  std::string id = insert_user("u@example.com", kHash);
  insert_session(id, "live-token");
  auto c = client();
  httplib::Headers bearer = {{"Authorization", "Bearer live-token"}};
  ASSERT_TRUE(conn_->exec(R"(SELECT "avatarColor" IS NULL FROM "user" WHERE id = $1)", {id}).boolean(0, 0));
  auto me = c.Get("/api/users/me", bearer);
  ASSERT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(body(me)["avatarColor"], "blue");
  conn_->exec(R"(UPDATE "user" SET "avatarColor" = 'amber' WHERE id = $1)", {id});
  EXPECT_EQ(body(c.Get("/api/users/me", bearer))["avatarColor"], "amber");
}

TEST_F(AuthRoutesTest, ExpiredSessionAndImmichRowsOverHttp) {
  std::string id = insert_user("u@example.com", kHash);
  insert_session(id, "live-token");
  insert_session(id, "old-token", "now() - interval '1 second'");
  auto c = client();
  EXPECT_EQ(c.Get("/api/users/me", {{"Authorization", "Bearer live-token"}})->status, 200);
  auto expired = c.Get("/api/users/me", {{"Authorization", "Bearer old-token"}});
  EXPECT_EQ(expired->status, 401);
  EXPECT_EQ(body(expired)["message"], "Invalid user token");
  // A user row made as Immich makes it logs in over HTTP.
  auto login = c.Post("/api/auth/login", json{{"email", "u@example.com"}, {"password", kPassword}}.dump(),
                      "application/json");
  EXPECT_EQ(login->status, 201);
  EXPECT_EQ(body(login)["isAdmin"], false);
}

TEST_F(AuthRoutesTest, RepeatedLoginFailuresGet429) {
  insert_user("u@example.com", kHash);
  auto c = client();
  int last = 0;
  for (int i = 0; i < 11; ++i) {
    last = c.Post("/api/auth/login", json{{"email", "u@example.com"}, {"password", "x"}}.dump(),
                  "application/json")
               ->status;
  }
  EXPECT_EQ(last, 429);
  auto blocked = c.Post("/api/auth/login",
                        json{{"email", "u@example.com"}, {"password", kPassword}}.dump(),
                        "application/json");
  EXPECT_EQ(blocked->status, 429);
  EXPECT_FALSE(blocked->get_header_value("Retry-After").empty());
  EXPECT_EQ(body(blocked)["statusCode"], 429);
}

TEST_F(AuthRoutesTest, BadLoginBodiesGet400) {
  auto c = client();
  EXPECT_EQ(c.Post("/api/auth/login", "{", "application/json")->status, 400);
  auto missing = c.Post("/api/auth/login", R"({"email":"a@b.c"})", "application/json");
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(body(missing)["message"], "password must be a string");
  EXPECT_EQ(c.Post("/api/auth/login", R"({"email":"nope","password":"x"})", "application/json")
                ->status,
            400);
}

}  // namespace
}  // namespace keepsake::http
