// Maintenance mode end to end over real HTTP and a real database: entering from the normal route
// set (admin, validation, cookie, record), the maintenance route set (public and private status,
// login, token checks, backups behind the token, redirects, the page), two instances switching
// together, and a restore started through the API that ends maintenance with the data restored.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "app/app_context.h"
#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "db/pool.h"
#include "harness/bootstrapped_database.h"
#include "http/routes.h"
#include "http/test_server.h"
#include "maintenance/maintenance_service.h"
#include "maintenance/maintenance_token.h"
#include "restore/database_swap.h"
#include "restore/restore_fixture.h"

namespace keepsake::maintenance {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

http::Authenticator as_admin(bool admin) {
  return [admin](const auth::Credentials& c) {
    if (c.api_key != "key") throw Error(ErrorKind::kUnauthorized, "Invalid API key");
    auth::AuthUser u;
    u.id = "00000000-0000-4000-8000-000000000001";
    u.name = "Admin";
    u.is_admin = admin;
    u.permissions = {"all"};
    return u;
  };
}

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class MaintenanceRoutesTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    config_ = keepsake::testing::config_for(db_name_);
    config_.media_location = media_.path();
    fs::create_directories(backup::backups_folder(media_.path()));
    app_ = std::make_unique<app::AppContext>(config_);
    pool_ = std::make_unique<db::Pool>(db_config_, 4);
  }
  void TearDown() override {
    server_.reset();
    if (service_) service_->stop();
    service_.reset();
    pool_.reset();
    BootstrappedDatabaseTest::TearDown();
  }
  // A server whose routes follow the service's mode, as `keepsake serve` does.
  void start(bool admin = true) {
    service_ = std::make_unique<MaintenanceService>(
        config_, MaintenanceHooks{.switch_mode = [this](bool on) {
          switches_.push_back(on);
          if (server_) server_->server().switch_to(on ? http::kMaintenanceRoutes : http::kNormalRoutes);
        }});
    bool on = service_->initialise();
    http::RouteDeps deps{.app = app_.get(), .pool = pool_.get(), .maintenance = service_.get()};
    server_ = std::make_unique<keepsake::testing::RunningServer>(on ? http::kMaintenanceRoutes : http::kNormalRoutes,
                                                                 deps, as_admin(admin));
    service_->start();
  }
  MaintenanceState record() { return read_maintenance_state(*db::Connection::open(db_config_)); }
  bool in_maintenance_routes() {
    auto r = server_->server().current_route_set();
    return r == http::kMaintenanceRoutes;
  }
  static std::string cookie_of(const httplib::Result& r) {
    std::string all;
    for (auto& [k, v] : r->headers) {
      if (k == "Set-Cookie") all += v + "\n";
    }
    return all;
  }
  static std::string token_in(const std::string& cookies) {
    std::smatch m;
    return std::regex_search(cookies, m, std::regex("immich_maintenance_token=([^;]+)")) ? m[1].str() : "";
  }
  httplib::Headers key_{{"x-api-key", "key"}};

  keepsake::testing::TempDir media_;
  Config config_;
  std::unique_ptr<app::AppContext> app_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<MaintenanceService> service_;
  std::unique_ptr<keepsake::testing::RunningServer> server_;
  std::vector<bool> switches_;
};

TEST_F(MaintenanceRoutesTest, NormalModeRoutesValidateAndEnterWithACookie) {
  start();
  auto c = server_->client();
  auto status = c.Get("/api/admin/maintenance/status");
  EXPECT_EQ(json::parse(status->body), json({{"active", false}, {"action", "end"}}));
  auto login = c.Post("/api/admin/maintenance/login", "{}", "application/json");
  EXPECT_EQ(login->status, 400);
  EXPECT_EQ(json::parse(login->body)["message"], "Not in maintenance mode");
  EXPECT_EQ(c.Post("/api/admin/maintenance", "{\"action\":\"start\"}", "application/json")->status, 401);

  auto bad = c.Post("/api/admin/maintenance", key_, "{\"action\":\"reboot\"}", "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["message"][0],
            "action must be one of the following values: start, end, select_database_restore, restore_database");
  auto no_file = c.Post("/api/admin/maintenance", key_, "{\"action\":\"restore_database\"}", "application/json");
  EXPECT_EQ(json::parse(no_file->body)["message"],
            json({"restoreBackupFilename must be a string", "restoreBackupFilename should not be empty"}));
  auto missing = c.Post("/api/admin/maintenance", key_,
                        R"({"action":"restore_database","restoreBackupFilename":"nope.sql.gz"})", "application/json");
  EXPECT_EQ(missing->status, 404);
  EXPECT_FALSE(record().active);
  // "end" on the normal server does nothing.
  EXPECT_EQ(c.Post("/api/admin/maintenance", key_, "{\"action\":\"end\"}", "application/json")->status, 201);
  EXPECT_FALSE(record().active);

  auto enter = c.Post("/api/admin/maintenance", key_, "{\"action\":\"start\"}", "application/json");
  EXPECT_EQ(enter->status, 201);
  std::string cookies = cookie_of(enter);
  for (const char* attribute : {"Path=/", "Max-Age=86400", "HttpOnly", "SameSite=Lax"}) {
    EXPECT_NE(cookies.find(attribute), std::string::npos) << cookies;
  }
  auto state = record();
  ASSERT_TRUE(state.active);
  EXPECT_TRUE(std::regex_match(state.secret, std::regex("[0-9a-f]{128}")));
  EXPECT_EQ(state.action, MaintenanceAction::kStart);
  EXPECT_EQ(verify_maintenance_token(state.secret, token_in(cookies)), "Admin");
  EXPECT_TRUE(eventually([&] { return in_maintenance_routes(); }));
  EXPECT_EQ(json::parse(c.Get("/api/server/config")->body)["maintenanceMode"], true);
}

TEST_F(MaintenanceRoutesTest, StartRestoreOnlyWithoutAnAdmin) {
  start();
  conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('a@example.com', 'A', true))");
  auto refused = server_->client().Post("/api/admin/database-backups/start-restore", "", "application/json");
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(json::parse(refused->body)["message"], "The server already has an admin");
  conn_->exec(R"(DELETE FROM "user")");
  auto ok = server_->client().Post("/api/admin/database-backups/start-restore", "", "application/json");
  EXPECT_EQ(ok->status, 201);
  auto state = record();
  EXPECT_EQ(state.action, MaintenanceAction::kSelectDatabaseRestore);
  EXPECT_EQ(verify_maintenance_token(state.secret, token_in(cookie_of(ok))), "admin");
}

TEST_F(MaintenanceRoutesTest, MaintenanceRoutesCheckTheTokenAndRedirectPages) {
  auto entered = enable_maintenance_mode(*conn_);
  start();
  ASSERT_TRUE(in_maintenance_routes());
  auto c = server_->client();
  EXPECT_EQ(json::parse(c.Get("/api/server/config")->body), json({{"maintenanceMode", true}}));
  EXPECT_EQ(json::parse(c.Get("/api/server/ping")->body), json({{"res", "pong"}}));
  EXPECT_EQ(json::parse(c.Get("/api/admin/maintenance/status")->body), json({{"active", true}, {"action", "start"}}));

  auto missing = c.Post("/api/admin/maintenance/login", "{}", "application/json");
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(json::parse(missing->body)["message"], "Missing JWT Token");
  auto invalid = c.Post("/api/admin/maintenance/login", R"({"token":"a.b.c"})", "application/json");
  EXPECT_EQ(json::parse(invalid->body)["message"], "Invalid JWT Token");
  auto other_secret = sign_maintenance_token(std::string(128, 'f'), "mallory");
  EXPECT_EQ(c.Post("/api/admin/maintenance/login", json({{"token", other_secret}}).dump(), "application/json")->status, 401);
  auto login = c.Post("/api/admin/maintenance/login", json({{"token", entered.token}}).dump(), "application/json");
  EXPECT_EQ(login->status, 201);
  EXPECT_EQ(json::parse(login->body), json({{"username", "cli-admin"}}));
  EXPECT_EQ(token_in(cookie_of(login)), entered.token);

  httplib::Headers with_cookie{{"Cookie", std::string(kMaintenanceCookie) + "=" + entered.token}};
  httplib::Headers bad_cookie{{"Cookie", std::string(kMaintenanceCookie) + "=" + other_secret}};
  EXPECT_EQ(c.Get("/api/admin/database-backups")->status, 401);
  EXPECT_EQ(json::parse(c.Get("/api/admin/database-backups", bad_cookie)->body)["message"], "Invalid JWT Token");
  EXPECT_EQ(c.Get("/api/admin/database-backups", with_cookie)->status, 200);
  EXPECT_EQ(c.Post("/api/admin/maintenance", "{\"action\":\"start\"}", "application/json")->status, 401);

  auto page = c.Get("/photos/abc");
  EXPECT_EQ(page->status, 302);
  // Sent as /maintenance?continue=%2Fphotos%2Fabc; httplib's client decodes header values.
  EXPECT_EQ(page->get_header_value("Location"), "/maintenance?continue=/photos/abc");
  auto html = c.Get("/maintenance?token=x");
  EXPECT_EQ(html->status, 200);
  EXPECT_EQ(html->get_header_value("Cache-Control"), "no-store");
  EXPECT_NE(html->body.find("<title>Keepsake maintenance</title>"), std::string::npos);
  EXPECT_EQ(c.Get("/api/unknown")->status, 404);
  EXPECT_EQ(c.Get("/favicon.ico")->status, 404);

  auto install = json::parse(c.Get("/api/admin/maintenance/detect-install")->body);
  ASSERT_EQ(install["storage"].size(), 6u);
  EXPECT_EQ(install["storage"][0]["folder"], "encoded-video");

  // A failed restore: the public status hides the error, the private one shows it.
  auto fail = c.Post("/api/admin/maintenance", with_cookie,
                     R"({"action":"restore_database","restoreBackupFilename":"nope.sql.gz"})", "application/json");
  EXPECT_EQ(fail->status, 404);
  std::ofstream(backup::backups_folder(media_.path()) + "/broken.sql.gz") << "not gzip";
  EXPECT_EQ(c.Post("/api/admin/maintenance", with_cookie,
                   R"({"action":"restore_database","restoreBackupFilename":"broken.sql.gz"})", "application/json")
                ->status,
            201);
  service_->wait_for_action();
  auto public_status = json::parse(c.Get("/api/admin/maintenance/status")->body);
  EXPECT_EQ(public_status["task"], "error");
  EXPECT_EQ(public_status["error"], "Something went wrong, see logs!");
  auto private_status = json::parse(c.Get("/api/admin/maintenance/status", with_cookie)->body);
  EXPECT_NE(private_status["error"].get<std::string>().find("broken.sql.gz"), std::string::npos);
  EXPECT_TRUE(record().active);  // a failed restore stays in maintenance mode

  EXPECT_EQ(c.Post("/api/admin/maintenance", with_cookie, "{\"action\":\"end\"}", "application/json")->status, 201);
  EXPECT_TRUE(eventually([&] { return !in_maintenance_routes(); }));
  EXPECT_FALSE(record().active);
}

TEST_F(MaintenanceRoutesTest, TwoInstancesSwitchTogetherWithinASecond) {
  start();
  std::vector<bool> other_switches;
  std::mutex mu;
  MaintenanceService other(config_, {.switch_mode = [&](bool on) {
                                       std::lock_guard l(mu);
                                       other_switches.push_back(on);
                                     }});
  other.initialise();
  other.start();
  auto t0 = std::chrono::steady_clock::now();
  enable_maintenance_mode(*conn_);
  EXPECT_TRUE(eventually([&] { return other.active() && service_->active(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  // A writer that does not notify (Immich writes the row directly) is seen by the poll.
  conn_->exec("UPDATE system_metadata SET value = '{\"isMaintenanceMode\": false}' WHERE key = 'maintenance-mode'");
  EXPECT_TRUE(eventually([&] { return !other.active() && !service_->active(); }));
  other.stop();
  std::lock_guard l(mu);
  EXPECT_EQ(other_switches, (std::vector<bool>{true, false}));
  EXPECT_EQ(switches_, (std::vector<bool>{true, false}));
}

TEST_F(MaintenanceRoutesTest, RestoreThroughTheApiEndsMaintenanceWithTheDataRestored) {
  conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  backup::BackupOptions b;
  b.db = db_config_;
  b.media_location = media_.path();
  auto backup = backup::create_backup(b);
  conn_->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  start();
  auto c = server_->client();
  auto enter = c.Post("/api/admin/maintenance", key_,
                      json({{"action", "restore_database"}, {"restoreBackupFilename", backup.filename}}).dump(),
                      "application/json");
  ASSERT_EQ(enter->status, 201) << enter->body;
  httplib::Headers with_cookie{{"Cookie", std::string(kMaintenanceCookie) + "=" + token_in(cookie_of(enter))}};
  std::set<std::string> tasks;
  bool ended = eventually([&] {
    auto s = c.Get("/api/admin/maintenance/status", with_cookie);
    if (s && s->status == 200) {
      auto j = json::parse(s->body);
      if (j.contains("task")) tasks.insert(j["task"].get<std::string>());
    }
    return !service_->active() && !record().active;
  });
  ASSERT_TRUE(ended) << service_->status().to_json(true).dump();
  EXPECT_TRUE(eventually([&] { return !in_maintenance_routes(); }));
  conn_ = db::Connection::open(db_config_);
  EXPECT_EQ(conn_->exec(R"(SELECT string_agg(email, ',' ORDER BY email) FROM "user")").text(0, 0), "admin@example.com");
  EXPECT_TRUE(tasks.count("restore")) << ::testing::PrintToString(tasks);
  EXPECT_EQ(switches_, (std::vector<bool>{true, false}));
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  for (auto& d : restore::find_restore_databases(*admin, db_name_)) restore::drop_restore_database(*admin, db_name_, d.name);
}

}  // namespace
}  // namespace keepsake::maintenance
