// The admin console (web/console.html) end to end: a real `keepsake serve` in normal mode, Debian's
// headless Chromium driven by playwright-core (tests/e2e/admin_console.mjs) in three phases around
// changes made here: log in (refusals, at risk, back up, verify, protected, jobs, schedule, an
// upload named with markup, screenshots), a backup into a read-only folder (failing, with its
// reason), and a restore that lands back in the logged-in console with the restored data.
// The media folder's name holds markup, so the failure's message does too; the admin's name as
// well: the page must show both as text. Also point in time (not enabled, then a broken archive
// shown loudly), the space per media folder and the last storage scan with its problem files; the
// nightly jobs and a manual job; an index build in progress; the instances at phone width.
// About 65-80 s on the shared 2-core machine: three browser runs, two backups, one restore.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/process.h"
#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "harness/paths.h"
#include "restore/database_swap.h"
#include "storage/file_scan.h"
#include "storage/fs_helpers.h"

namespace keepsake {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

// An index build the console must show in progress: CREATE INDEX CONCURRENTLY waits ("waiting for
// writers before build") for a transaction writing to its table, held open here until release().
// The writer is another client of the database, named at the length limit (63 bytes): the
// Instances table must still fit a phone.
class WaitingIndexBuild {
 public:
  static constexpr const char* kWriterName = "family-photo-importer-on-the-garage-nas-with-a-long-app-name-x";
  explicit WaitingIndexBuild(const std::string& database)
      : config_(keepsake::testing::superuser_config(database)), writer_(db::Connection::open(config_)) {
    writer_->exec(std::string("SET application_name = '") + kWriterName + "'");
    writer_->exec("BEGIN");
    writer_->exec(R"(LOCK TABLE "asset" IN ROW EXCLUSIVE MODE)");
    builder_ = std::thread([this] {
      try {
        db::Connection::open(config_)->exec(R"(CREATE INDEX CONCURRENTLY console_test_build ON "asset" ("originalFileName"))");
      } catch (const std::exception& e) {
        build_error_ = e.what();
      }
    });
    auto watch = db::Connection::open(config_);
    for (int i = 0; i < 500 && !watch->exec(kWaiting).boolean(0, 0); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~WaitingIndexBuild() { release(); }
  void release() {
    if (!builder_.joinable()) return;
    writer_->exec("ROLLBACK");
    builder_.join();
    writer_->exec("DROP INDEX IF EXISTS console_test_build");
    EXPECT_EQ(build_error_, "");
  }

 private:
  static constexpr const char* kWaiting =
      "SELECT EXISTS (SELECT FROM pg_stat_progress_create_index WHERE datname = current_database())";
  DatabaseConfig config_;
  std::unique_ptr<db::Connection> writer_;
  std::thread builder_;
  std::string build_error_;
};

constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kHash = "$2b$10$VkNhEOwuWTkyfgIIOSFvC.dDr1xdbPG6cTQ3XxrvbBHjPJ/uZKKki";
constexpr const char* kMarkup = "<img src=x onerror=window.__xss=1>";

class AdminConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "scripts/setup.sh installs Debian's chromium";
    ASSERT_TRUE(fs::exists(e2e_ + "/node_modules/playwright-core")) << "scripts/setup.sh runs npm ci in " << e2e_;
    live_ = keepsake::testing::create_bootstrapped_database("console");
    sql(std::string(R"(INSERT INTO "user" (email, name, "isAdmin", password) VALUES
        ('admin@example.com', 'Admin )") + kMarkup + R"(', true, $1), ('user@example.com', 'User', false, $1))");
    media_ = work_.path() + "/media " + kMarkup;
    fs::create_directories(media_);
    screenshots_ = (fs::current_path() / "console-screenshots").string();  // kept for docs/CONSOLE.md
    fs::create_directories(screenshots_);
  }
  void TearDown() override {
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    for (auto& d : restore::find_restore_databases(*admin, live_)) restore::drop_restore_database(*admin, live_, d.name);
    admin.reset();
    keepsake::testing::drop_database(live_);
  }
  std::string sql(const std::string& statement) {
    auto conn = db::Connection::open(keepsake::testing::superuser_config(live_));
    auto r = conn->exec(statement, statement.find("$1") == std::string::npos ? db::Params{} : db::Params{kHash});
    return r.rows() ? r.text(0, 0) : "";
  }
  std::map<std::string, std::string> server_env(int port) {
    return {{"DB_URL", keepsake::testing::database_url(live_)}, {"IMMICH_MEDIA_LOCATION", media_},
            {"KEEPSAKE_DATA_DIR", work_.path() + "/data"},     {"IMMICH_HOST", "127.0.0.1"},
            {"IMMICH_PORT", std::to_string(port)}};
  }
  // Runs one phase of the browser script; its JSON report.
  nlohmann::json browse(const std::string& phase, int port, std::map<std::string, std::string> extra = {}) {
    ProcessOptions node;
    node.argv = {"node", e2e_ + "/admin_console.mjs"};
    extra.insert({{"HOME", work_.path()},
                  {"PHASE", phase},
                  {"BASE_URL", "http://127.0.0.1:" + std::to_string(port)},
                  {"ADMIN_EMAIL", "admin@example.com"},
                  {"USER_EMAIL", "user@example.com"},
                  {"PASSWORD", kPassword},
                  {"STATE", work_.path() + "/session.json"},
                  {"SCREENSHOTS", screenshots_}});
    node.env = minimal_environment(extra);
    auto r = run_process(node);
    EXPECT_EQ(r.exit_code, 0) << phase << ": " << r.out << r.err;
    std::cout << "phase " << phase << ": " << r.out;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  }

  // A PITR archive whose slot does not exist and whose only base backup is unverified, as the
  // console must show loudly (the real `pitr enable` needs a cluster of its own: tests/pitr/).
  void write_broken_pitr_archive() {
    std::string base = work_.path() + "/data/pitr/base/20261201T000000Z";
    fs::create_directories(base);
    std::ofstream(work_.path() + "/data/pitr/pitr.json") << R"({"slot": "keepsake_pitr", "server_major": 15})";
    std::ofstream(base + "/keepsake-backup.json")
        << R"({"name": "20261201T000000Z", "end_us": 1796083200000000, "size": 5000000, "verified": false})";
  }

  std::string e2e_ = keepsake::testing::source_dir() + "/tests/e2e";
  std::string live_, media_, screenshots_;
  TempDir work_;
};

TEST_F(AdminConsoleTest, LogInWatchProtectionFailAndRestoreInHeadlessChromium) {
  int port = keepsake::testing::free_port();
  keepsake::testing::KeepsakeProcess serve(server_env(port), work_.path());
  ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();

  storage::testing::write_text(media_ + "/library/admin/photo.jpg", std::string(3000, 'x'));
  {  // what `keepsake storage scan` records: the photo is an orphan (no asset row)
    auto conn = db::Connection::open(keepsake::testing::superuser_config(live_));
    storage::ScanReport report;
    storage::scan_storage(*conn, storage::StorageLayout(media_), report);
  }
  sql(R"(INSERT INTO "tag" ("userId", "value") SELECT "id", 'Unused' FROM "user" WHERE email = 'admin@example.com')");
  std::string markup_file = work_.path() + "/" + kMarkup + ".sql.gz";
  std::ofstream(markup_file) << "not a backup";
  auto login = browse("login", port, {{"MARKUP_FILE", markup_file}});
  ASSERT_FALSE(login.empty()) << serve.stderr_text();
  EXPECT_NE(login["who"].get<std::string>().find(kMarkup), std::string::npos);
  EXPECT_EQ(login["verdictAfterBackup"], "Protected");
  EXPECT_GE(login["timelineEvents"].get<int>(), 2) << login.dump();
  EXPECT_NE(login["uploadStatus"].get<std::string>().find(kMarkup), std::string::npos);
  EXPECT_NE(login["library"].get<std::string>().find("2.9 KB"), std::string::npos) << login.dump();
  EXPECT_NE(login["scan"].get<std::string>().find("1 orphan"), std::string::npos) << login.dump();
  EXPECT_NE(login["orphanRow"].get<std::string>().find("library/admin/photo.jpg"), std::string::npos) << login.dump();
  EXPECT_NE(login["nightly"].get<std::string>().find("Next runs"), std::string::npos) << login.dump();
  EXPECT_TRUE(serve.wait_for_log("Deleted 1 empty tags", 60)) << "tag-cleanup, run from the console, did not run";
  std::string made = login["backupFile"];

  {
    storage::testing::ReadOnlyFolder read_only(media_ + "/backups");
    if (read_only.method().empty()) GTEST_SKIP() << "neither a read-only bind mount nor chattr +i works here";
    write_broken_pitr_archive();
    WaitingIndexBuild build(live_);
    auto failing = browse("failing", port, {{"WRITER_NAME", WaitingIndexBuild::kWriterName}});
    build.release();
    fs::remove_all(work_.path() + "/data/pitr");
    EXPECT_NE(failing["indexBuild"].get<std::string>().find("waiting for writers"), std::string::npos) << failing.dump();
    EXPECT_NE(failing["instance"].get<std::string>().find(WaitingIndexBuild::kWriterName), std::string::npos);
    EXPECT_NE(failing["pitrProblems"].get<std::string>().find("keepsake_pitr does not exist"), std::string::npos)
        << failing.dump();
    EXPECT_EQ(failing["verdict"], "Failing");
    EXPECT_NE(failing["reasons"].get<std::string>().find(kMarkup), std::string::npos)
        << "the failure's message (naming the media folder) is shown as text: " << failing.dump();
    EXPECT_GE(failing["failedMarks"].get<int>(), 1);
  }

  sql(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  auto restored = browse("restore", port, {{"RESTORE_FILE", made}});
  EXPECT_NE(restored["libraryBefore"].get<std::string>().find("3 users"), std::string::npos) << restored.dump();
  EXPECT_NE(restored["question"].get<std::string>().find("3 users"), std::string::npos);
  EXPECT_NE(restored["libraryAfter"].get<std::string>().find("2 users"), std::string::npos) << restored.dump();
  EXPECT_EQ(restored["verdict"], "Protected") << "the failure came after the restored backup";
  EXPECT_EQ(sql(R"(SELECT string_agg(email, ',' ORDER BY email) FROM "user")"), "admin@example.com,user@example.com");

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(60), 0) << serve.stderr_text();
}

}  // namespace
}  // namespace keepsake
