// The maintenance page (web/maintenance.html) end to end: a real `keepsake serve` in maintenance
// mode, Debian's headless Chromium driven by playwright-core (tests/e2e/maintenance_page.mjs):
// log in with the token link, upload a backup, restore it, watch the progress reach 100 %, see
// maintenance end; then the database holds the backup's data.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "backup/backup_service.h"
#include "common/process.h"
#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "maintenance/maintenance_service.h"
#include "restore/database_swap.h"
#include "harness/paths.h"

namespace keepsake {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

TEST(MaintenancePageTest, UploadRestoreAndEndInHeadlessChromium) {
  ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "scripts/setup.sh installs Debian's chromium";
  std::string e2e = keepsake::testing::source_dir() + "/tests/e2e";
  ASSERT_TRUE(fs::exists(e2e + "/node_modules/playwright-core")) << "scripts/setup.sh runs npm ci in " << e2e;

  std::string live = keepsake::testing::create_bootstrapped_database("page");
  auto conn = db::Connection::open(keepsake::testing::superuser_config(live));
  conn->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true),
                                                                    ('kept@example.com', 'Kept', false))");
  TempDir elsewhere, work;
  backup::BackupOptions b;
  b.db = keepsake::testing::superuser_config(live);
  b.media_location = elsewhere.path();
  auto backup = backup::create_backup(b);
  conn->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  auto entered = maintenance::enable_maintenance_mode(*conn);
  conn.reset();

  int port = keepsake::testing::free_port();
  std::map<std::string, std::string> env = {
      {"DB_URL", keepsake::testing::database_url(live)},
      {"IMMICH_MEDIA_LOCATION", work.path() + "/media"},
      {"KEEPSAKE_DATA_DIR", work.path() + "/data"},
      {"IMMICH_HOST", "127.0.0.1"},
      {"IMMICH_PORT", std::to_string(port)}};
  fs::create_directories(work.path() + "/media");
  keepsake::testing::KeepsakeProcess serve(env, work.path());
  ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();

  ProcessOptions node;
  node.argv = {"node", e2e + "/maintenance_page.mjs"};
  node.env = minimal_environment({{"HOME", work.path()},
                                  {"LOGIN_URL", "http://127.0.0.1:" + std::to_string(port) +
                                                    "/maintenance?token=" + entered.token},
                                  {"BACKUP_FILE", backup.path},
                                  {"SCREENSHOT", work.path() + "/page.png"}});
  auto browser = run_process(node);
  ASSERT_EQ(browser.exit_code, 0) << browser.out << browser.err << "\nserver:\n" << serve.stderr_text();
  auto seen = nlohmann::json::parse(browser.out);
  EXPECT_EQ(seen["finalProgress"], 100);
  EXPECT_GT(seen["progress"].size(), 2u) << seen.dump();

  conn = db::Connection::open(keepsake::testing::superuser_config(live));
  EXPECT_EQ(conn->exec(R"(SELECT string_agg(email, ',' ORDER BY email) FROM "user")").text(0, 0),
            "admin@example.com,kept@example.com");
  EXPECT_FALSE(maintenance::read_maintenance_state(*conn).active);
  httplib::Client client("127.0.0.1", port);
  auto config = client.Get("/api/server/config");
  ASSERT_TRUE(config);
  EXPECT_EQ(nlohmann::json::parse(config->body)["maintenanceMode"], false);
  conn.reset();

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(60), 0) << serve.stderr_text();
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  for (auto& d : restore::find_restore_databases(*admin, live)) restore::drop_restore_database(*admin, live, d.name);
  keepsake::testing::drop_database(live);
}

}  // namespace
}  // namespace keepsake
