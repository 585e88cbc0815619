// The admin console's routes over real HTTP against a real database: the page at /admin, the
// session cookie it logs in with (HttpOnly, SameSite), and 401 / 403 on every JSON route the
// console reads for a caller without a session or without admin rights; the space per media
// folder (measured in the background) with the disks of the backup repositories, the record of the
// last storage scan, a scan started from the console (409 while another task runs) and the pages
// of problem files (the scan's, the checksum verification's); the nightly schedule with its next
// runs, and the index builds PostgreSQL reports with their progress.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/app_context.h"
#include "config/system_config.h"
#include "auth/auth_fixture.h"
#include "files/files_jobs.h"
#include "harness/other_client.h"
#include "harness/test_cluster.h"
#include "jobs/nightly.h"
#include "http/test_server.h"
#include "migrations/keepsake_migrations.h"
#include "storage/file_scan.h"
#include "storage/fs_helpers.h"

namespace keepsake::http {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kHash = "$2b$10$VkNhEOwuWTkyfgIIOSFvC.dDr1xdbPG6cTQ3XxrvbBHjPJ/uZKKki";

// Every route the console reads, as (method, path).
const std::vector<std::pair<std::string, std::string>> kConsoleRoutes = {
    {"GET", "/api/admin/protection"},
    {"GET", "/api/admin/backup-schedule"},
    {"GET", "/api/admin/backup-schedule/next-runs?cronExpression=0%202%20*%20*%20*"},
    {"GET", "/api/admin/instances"},
    {"GET", "/api/admin/storage/space"},
    {"GET", "/api/admin/database-backups"},
    {"GET", "/api/jobs"},
    {"GET", "/api/admin/jobs/failed"},
    {"GET", "/api/admin/jobs/nightly"},
    {"GET", "/api/admin/vector/status"},
    {"GET", "/api/admin/storage/task"},
    {"GET", "/api/admin/storage/problem-files?list=checksum"},
};

class ConsoleRoutesTest : public keepsake::testing::AuthDatabaseTest {
 protected:
  void SetUp() override {
    AuthDatabaseTest::SetUp();
    Config config = load_config({{"DB_HOSTNAME", "localhost"}});
    config.media_location = media_.path();
    config.data_dir = media_.path() + "/data";
    config.db = db_config_;  // the background scan opens its own connection
    app_ = std::make_unique<app::AppContext>(config);
    RouteDeps deps{.app = app_.get(), .pool = pool_.get(), .auth = auth_.get()};
    server_ = std::make_unique<keepsake::testing::RunningServer>(
        kNormalRoutes, deps, [this](const auth::Credentials& c) { return auth_->authenticate(c); });
    admin_id_ = insert_user("admin@example.com", kHash, true, "Admin");
    insert_user("user@example.com", kHash, false, "User");
  }
  void TearDown() override {
    server_.reset();
    AuthDatabaseTest::TearDown();
  }
  // Logs in; returns the Set-Cookie header of the access token.
  std::string login(const std::string& email, std::string* token = nullptr) {
    auto res = server_->client().Post("/api/auth/login", json{{"email", email}, {"password", kPassword}}.dump(),
                                      "application/json");
    EXPECT_EQ(res->status, 201) << res->body;
    if (token) *token = json::parse(res->body)["accessToken"];
    for (size_t i = 0; i < res->get_header_value_count("Set-Cookie"); ++i) {
      std::string c = res->get_header_value("Set-Cookie", i);
      if (c.rfind("immich_access_token=", 0) == 0) return c;
    }
    return {};
  }
  json get(const std::string& path) {
    if (admin_.empty()) login("admin@example.com", &admin_);
    auto res = server_->client().Get(path, {{"Cookie", "immich_access_token=" + admin_}});
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body);
  }
  int status(const std::string& method, const std::string& path, const std::string& token) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Cookie", "immich_access_token=" + token);
    auto c = server_->client();
    auto res = method == "GET"    ? c.Get(path, headers)
               : method == "POST" ? c.Post(path, headers, "{}", "application/json")
                                  : c.Put(path, headers, "{}", "application/json");
    return res ? res->status : -1;
  }

  // GET with the admin's session, any status.
  httplib::Result admin_get(const std::string& path) {
    if (admin_.empty()) login("admin@example.com", &admin_);
    return server_->client().Get(path, {{"Cookie", "immich_access_token=" + admin_}});
  }
  httplib::Result admin_post(const std::string& path) {
    if (admin_.empty()) login("admin@example.com", &admin_);
    return server_->client().Post(path, {{"Cookie", "immich_access_token=" + admin_}}, "{}", "application/json");
  }
  // Polls the background task until it is no longer running.
  json finished_task() {
    json task = get("/api/admin/storage/task")["task"];
    for (int i = 0; i < 200 && task["running"] == true; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      task = get("/api/admin/storage/task")["task"];
    }
    return task;
  }

  keepsake::testing::TempDir media_;
  std::string admin_, admin_id_;
  std::unique_ptr<app::AppContext> app_;
  std::unique_ptr<keepsake::testing::RunningServer> server_;
};

TEST_F(ConsoleRoutesTest, PageIsServedWithoutDataAndLocksFramingAndScripts) {
  auto page = server_->client().Get("/admin");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(page->body.find("Keepsake admin console"), std::string::npos);
  EXPECT_EQ(page->body.find("innerHTML"), std::string::npos) << "server values go in as textContent only";
  EXPECT_EQ(page->body.find("insertAdjacentHTML"), std::string::npos);
  auto script = server_->client().Get("/web/common.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script->body.find("innerHTML"), std::string::npos);
}

TEST_F(ConsoleRoutesTest, SessionCookieIsHttpOnlyAndSameSite) {
  std::string cookie = login("admin@example.com");
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Lax"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
}

TEST_F(ConsoleRoutesTest, EveryConsoleRouteNeedsAnAdminSession) {
  std::string admin, user;
  login("admin@example.com", &admin);
  login("user@example.com", &user);
  for (const auto& [method, path] : kConsoleRoutes) {
    EXPECT_EQ(status(method, path, ""), 401) << path;
    EXPECT_EQ(status(method, path, "not-a-session"), 401) << path;
    EXPECT_EQ(status(method, path, user), 403) << path;
    EXPECT_EQ(status(method, path, admin), 200) << path;
  }
  EXPECT_EQ(status("PUT", "/api/admin/backup-schedule", user), 403);
  EXPECT_EQ(status("POST", "/api/admin/storage/scan", ""), 401);
  EXPECT_EQ(status("POST", "/api/admin/storage/scan", user), 403);
  EXPECT_EQ(status("POST", "/api/admin/files/verify", user), 403);
  EXPECT_EQ(status("GET", "/api/admin/storage/problem-files?list=orphan", user), 403);
}

TEST_F(ConsoleRoutesTest, ScheduleIsValidatedAndShowsTheNextThreeRuns) {
  std::string admin;
  login("admin@example.com", &admin);
  httplib::Headers headers{{"Cookie", "immich_access_token=" + admin}};
  auto c = server_->client();
  auto bad = c.Put("/api/admin/backup-schedule", headers,
                   json{{"enabled", true}, {"cronExpression", "61 * * * *"}, {"keepLastAmount", 3}}.dump(),
                   "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(json::parse(bad->body)["message"].get<std::string>().find("minute"), std::string::npos) << bad->body;
  auto zero = c.Put("/api/admin/backup-schedule", headers,
                    json{{"enabled", true}, {"cronExpression", "0 3 * * *"}, {"keepLastAmount", 0}}.dump(),
                    "application/json");
  EXPECT_EQ(zero->status, 400) << zero->body;

  auto ok = c.Put("/api/admin/backup-schedule", headers,
                  json{{"enabled", false}, {"cronExpression", "30 3 * * 1"}, {"keepLastAmount", 5}}.dump(),
                  "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  auto saved = json::parse(c.Get("/api/admin/backup-schedule", headers)->body);
  EXPECT_EQ(saved["enabled"], false);
  EXPECT_EQ(saved["cronExpression"], "30 3 * * 1");
  EXPECT_EQ(saved["keepLastAmount"], 5);
  ASSERT_EQ(saved["nextRuns"].size(), 3u) << saved.dump();
  EXPECT_LT(saved["nextRuns"][0].get<std::string>(), saved["nextRuns"][1].get<std::string>());

  auto preview = c.Get("/api/admin/backup-schedule/next-runs?cronExpression=nonsense", headers);
  EXPECT_EQ(preview->status, 400) << preview->body;
}

TEST_F(ConsoleRoutesTest, InstancesListsAnImmichServerAndTheRestartChannel) {
  keepsake::testing::OtherClient immich(db_config_, "postgres.js");
  ASSERT_EQ(immich.exec("SELECT 1"), "");
  std::string admin;
  login("admin@example.com", &admin);
  auto res = server_->client().Get("/api/admin/instances", {{"Cookie", "immich_access_token=" + admin}});
  ASSERT_EQ(res->status, 200) << res->body;
  auto body = json::parse(res->body);
  bool found = false;
  for (const auto& c : body["clients"]) found = found || (c["pid"] == immich.pid() && c["kind"] == "immich");
  EXPECT_TRUE(found) << body.dump();
  EXPECT_TRUE(body["restartChannel"]["configured"].is_boolean());
}

TEST_F(ConsoleRoutesTest, SpacePerMediaFolderIsMeasuredInTheBackground) {
  storage::testing::write_text(media_.path() + "/library/a/one.jpg", std::string(1000, 'x'));
  storage::testing::write_text(media_.path() + "/library/b/two.jpg", std::string(234, 'x'));
  storage::testing::write_text(media_.path() + "/thumbs/t.webp", std::string(10, 'x'));
  json folders = get("/api/admin/storage/space")["mediaFolders"];
  for (int i = 0; i < 100 && folders["measuredAt"].is_null(); ++i) {
    EXPECT_TRUE(folders["measuring"]) << "no measurement and none running";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    folders = get("/api/admin/storage/space")["mediaFolders"];
  }
  ASSERT_EQ(folders["folders"].size(), 6u) << folders.dump();
  std::map<std::string, json> by_name;
  for (const auto& f : folders["folders"]) by_name[f["name"]] = f;
  EXPECT_EQ(by_name["library"]["bytes"], 1234);
  EXPECT_EQ(by_name["library"]["files"], 2);
  EXPECT_EQ(by_name["thumbs"]["bytes"], 10);
  EXPECT_EQ(by_name["upload"]["exists"], false);
}

TEST_F(ConsoleRoutesTest, ProtectionReportsTheLastStorageScan) {
  EXPECT_EQ(get("/api/admin/protection")["storageScan"]["available"], false);
  storage::testing::write_text(media_.path() + "/upload/stray.jpg", "x");
  storage::ScanReport report;
  storage::scan_storage(*conn_, storage::StorageLayout(media_.path()), report);
  json p = get("/api/admin/protection");
  json scan = p["storageScan"];
  ASSERT_EQ(scan["available"], true) << scan.dump();
  EXPECT_EQ(scan["orphans"], 1);
  EXPECT_EQ(scan["missingIrreplaceable"], 0);
  EXPECT_FALSE(scan["finishedAt"].get<std::string>().empty());
  bool on_timeline = false;
  for (const auto& e : p["timeline"]) on_timeline = on_timeline || e["kind"] == "scan";
  EXPECT_TRUE(on_timeline) << p["timeline"].dump();
}

TEST_F(ConsoleRoutesTest, AScanStartedFromTheConsoleRunsOnceAndListsItsProblemFiles) {
  EXPECT_EQ(admin_get("/api/admin/storage/problem-files?list=orphan")->status, 404) << "no scan yet";
  storage::testing::write_text(media_.path() + "/upload/" + admin_id_ + "/a/stray.jpg", "x");
  storage::testing::write_text(media_.path() + "/thumbs/left-over.tmp", "x");
  conn_->exec(R"(UPDATE "user" SET "profileImagePath" = $1 WHERE id = $2)",
              {media_.path() + "/profile/" + admin_id_ + "/me.png", admin_id_});

  std::promise<void> release;
  auto held = release.get_future().share();
  ASSERT_TRUE(files::BackgroundTasks::instance().start("verify", [held](const files::ProgressFn&) {
    held.wait();
    return json::object();
  }));
  auto busy = admin_post("/api/admin/storage/scan");
  release.set_value();
  files::BackgroundTasks::instance().wait();
  ASSERT_EQ(busy->status, 409) << busy->body;
  EXPECT_NE(json::parse(busy->body)["message"].get<std::string>().find("storage verification"), std::string::npos);

  auto started = admin_post("/api/admin/storage/scan");
  ASSERT_EQ(started->status, 202) << started->body;
  EXPECT_EQ(json::parse(started->body)["task"]["kind"], "scan");
  json task = finished_task();
  ASSERT_EQ(task["running"], false) << task.dump();
  EXPECT_EQ(task["kind"], "scan");
  EXPECT_TRUE(task["error"].is_null()) << task.dump();
  EXPECT_EQ(task["percent"], 100);
  EXPECT_EQ(task["result"]["orphans"], 2);
  EXPECT_EQ(get("/api/admin/protection")["storageScan"]["orphans"], 2) << "the result is the recorded scan";

  json first = get("/api/admin/storage/problem-files?list=orphan&limit=1");
  EXPECT_EQ(first["total"], 2);
  EXPECT_EQ(first["kept"], 2);
  ASSERT_EQ(first["files"].size(), 1u);
  json second = get("/api/admin/storage/problem-files?list=orphan&offset=1&limit=1")["files"];
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["path"], media_.path() + "/upload/" + admin_id_ + "/a/stray.jpg");
  EXPECT_EQ(second[0]["ownerEmail"], "admin@example.com") << "the owner named by the folder";
  EXPECT_TRUE(first["files"][0]["ownerId"].is_null()) << first.dump();
  json missing = get("/api/admin/storage/problem-files?list=missing-irreplaceable")["files"];
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0]["kind"], "profile_image");
  EXPECT_EQ(missing[0]["ownerId"], admin_id_);

  EXPECT_EQ(admin_get("/api/admin/storage/problem-files?list=nonsense")->status, 400);
  EXPECT_EQ(admin_get("/api/admin/storage/problem-files")->status, 400);
  EXPECT_EQ(admin_get("/api/admin/storage/problem-files?list=orphan&limit=501")->status, 400);
  EXPECT_EQ(admin_get("/api/admin/storage/problem-files?list=orphan&offset=-1")->status, 400);
}

TEST_F(ConsoleRoutesTest, ChecksumFindingsArePagedWithTheirAssetAndOwner) {
  EXPECT_EQ(get("/api/admin/storage/problem-files?list=checksum")["total"], 0);
  migrations::apply_keepsake_migrations(*conn_);
  conn_->exec(R"(INSERT INTO keepsake.checksum_verify_finding (asset_id, owner_id, path, problem)
                 SELECT gen_random_uuid(), $1, '/media/upload/' || i || '.jpg', 'damaged'
                   FROM generate_series(1, 3) i)",
              {admin_id_});
  json page = get("/api/admin/storage/problem-files?list=checksum&offset=2&limit=2");
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["files"].size(), 1u);
  EXPECT_EQ(page["files"][0]["path"], "/media/upload/3.jpg");
  EXPECT_EQ(page["files"][0]["problem"], "damaged");
  EXPECT_EQ(page["files"][0]["ownerEmail"], "admin@example.com");
  EXPECT_FALSE(page["files"][0]["assetId"].is_null());
}

TEST_F(ConsoleRoutesTest, SpaceNamesTheDisksOfTheBackupRepositories) {
  auto disks = [&] {
    std::map<std::string, json> by_label;
    json space = get("/api/admin/storage/space");
    for (const auto& d : space["disks"]) by_label[d["label"]] = d;
    return by_label;
  };
  constexpr const char* kRestic = "Files backup (restic repository)";
  EXPECT_EQ(disks().count(kRestic), 0u) << "no repository set up";
  keepsake::testing::TempDir repository;
  storage::testing::write_text(media_.path() + "/data/files/repository", repository.path() + "\n");
  json local = disks()[kRestic];
  EXPECT_EQ(local["available"], true) << local.dump();
  EXPECT_EQ(local["path"], repository.path());
  EXPECT_GT(local["totalBytes"].get<uint64_t>(), 0u);

  storage::testing::write_text(media_.path() + "/data/files/repository", "rest:https://kim:secret@backup.example/r\n");
  json remote = disks()[kRestic];
  EXPECT_EQ(remote["available"], false);
  EXPECT_EQ(remote["remote"], true);
  EXPECT_EQ(remote["reason"], "remote, not measured");
  EXPECT_EQ(remote["path"], "rest:https://***@backup.example/r") << "no password shown";
}

}  // namespace
}  // namespace keepsake::http

namespace keepsake::http {
namespace {

TEST_F(ConsoleRoutesTest, NightlyScheduleShowsItsTimeJobsNextThreeRunsAndTheLastOne) {
  json full = config::load_system_config(*conn_);
  full["nightlyTasks"]["startTime"] = "02:30";
  full["nightlyTasks"]["generateMemories"] = false;
  config::save_system_config(*conn_, full);
  json n = get("/api/admin/jobs/nightly");
  EXPECT_EQ(n["startTime"], "02:30");
  EXPECT_TRUE(n["lastRun"].is_null()) << n.dump();
  ASSERT_EQ(n["nextRuns"].size(), 3u) << n.dump();
  EXPECT_LT(n["nextRuns"][0].get<std::string>(), n["nextRuns"][1].get<std::string>());
  EXPECT_LT(n["nextRuns"][1].get<std::string>(), n["nextRuns"][2].get<std::string>());
  auto jobs = n["jobs"].get<std::vector<std::string>>();
  EXPECT_EQ(std::count(jobs.begin(), jobs.end(), "MemoryGenerate"), 0) << n.dump();
  EXPECT_EQ(std::count(jobs.begin(), jobs.end(), "UserSyncUsage"), 1) << n.dump();
  auto manual = n["manualJobs"].get<std::vector<std::string>>();
  EXPECT_EQ(std::count(manual.begin(), manual.end(), "person-cleanup"), 1) << n.dump();

  jobs::queue_nightly_if_due(*conn_, jobs::Clock::now());  // the first start records the slot
  EXPECT_FALSE(get("/api/admin/jobs/nightly")["lastRun"].is_null());
}

TEST_F(ConsoleRoutesTest, SearchIndexShowsTheIndexBuildsInProgress) {
  conn_->exec("CREATE TABLE building (v int)");
  EXPECT_EQ(get("/api/admin/vector/status")["indexBuilds"], json::array());
  keepsake::testing::OtherClient writer(db_config_, "writer"), builder(db_config_, "builder");
  ASSERT_EQ(writer.exec("BEGIN"), "");
  ASSERT_EQ(writer.exec("INSERT INTO building VALUES (1)"), "");
  // A concurrent build waits for the open write before it builds: that wait is its first phase.
  auto build = std::async(std::launch::async, [&] { return builder.exec("CREATE INDEX CONCURRENTLY building_v ON building (v)"); });
  auto waiting = [](const json& builds) {
    return builds.size() == 1 && builds[0]["phase"] == "waiting for writers before build";
  };
  json builds = get("/api/admin/vector/status")["indexBuilds"];
  for (int i = 0; i < 200 && !waiting(builds); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    builds = get("/api/admin/vector/status")["indexBuilds"];
  }
  ASSERT_TRUE(waiting(builds)) << builds.dump();
  EXPECT_EQ(builds[0]["table"], "building");
  EXPECT_EQ(builds[0]["command"], "CREATE INDEX CONCURRENTLY");
  ASSERT_EQ(writer.exec("COMMIT"), "");
  EXPECT_EQ(build.get(), "");
  EXPECT_EQ(get("/api/admin/vector/status")["indexBuilds"], json::array());
}

}  // namespace
}  // namespace keepsake::http
