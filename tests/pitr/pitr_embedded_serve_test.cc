// A running `keepsake serve` with its embedded cluster while `keepsake pitr restore` replaces the
// cluster's data folder from the command line: serve's watchdog leaves the stopped cluster alone
// (the swap holds the cluster lock), serve answers again on the restored library once it is back
// (healthy, out of maintenance mode), and its WAL stream resumes on the new timeline with no
// problem in `pitr status`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "db/connection.h"
#include "harness/keepsake_process.h"
#include "harness/test_cluster.h"
#include "pitr/pitr.h"

namespace keepsake::pitr {
namespace {
using keepsake::testing::KeepsakeProcess;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

httplib::Result get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(30, 0);
  return c.Get(path);
}

int64_t commit_user(db::Connection& conn, const std::string& name, bool admin = false) {
  conn.exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ($1 || '@example.com', $1, $2))",
            {name, admin ? "true" : "false"});
  return conn.exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").int64(0, 0);
}

std::vector<std::string> users(const DatabaseConfig& db) {
  auto r = db::Connection::open(db)->exec(R"(SELECT name FROM "user" WHERE NOT "isAdmin" ORDER BY "createdAt")");
  std::vector<std::string> names;
  for (int i = 0; i < r.rows(); ++i) names.push_back(r.text(i, 0));
  return names;
}

TEST(PitrEmbeddedServeTest, ServeKeepsRunningThroughARestoreOfItsClusterAndItsStreamFollowsTheNewTimeline) {
  keepsake::testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  const int port = keepsake::testing::free_port();
  std::map<std::string, std::string> env = {{"KEEPSAKE_DATA_DIR", data},
                                            {"IMMICH_MEDIA_LOCATION", dir.path()},
                                            {"IMMICH_HOST", "127.0.0.1"},
                                            {"IMMICH_PORT", std::to_string(port)}};
  KeepsakeProcess serve(env, dir.path());
  ASSERT_TRUE(serve.wait_for_log("PITR: streaming WAL into " + data + "/pitr/wal", 120)) << serve.stderr_text();
  DatabaseConfig db;
  db.host = data + "/postgres/run";
  db.port = "5432";
  db.user = "postgres";
  db.dbname = "immich";
  int64_t after_t2 = 0;
  {
    auto conn = db::Connection::open(db);
    commit_user(*conn, "admin", true);
    commit_user(*conn, "t1");
    after_t2 = commit_user(*conn, "t2");
    std::this_thread::sleep_for(50ms);
    commit_user(*conn, "t3");
  }
  std::this_thread::sleep_for(500ms);  // serve's stream receives t3
  {
    KeepsakeProcess restore(env, dir.path(), {"pitr", "restore", "--to", format_iso8601(after_t2), "--yes"});
    ASSERT_EQ(restore.wait_exit(180), 0) << restore.stderr_text();
  }
  EXPECT_THAT(users(db), ElementsAre("t1", "t2"));
  auto health = get(port, "/api/server/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200) << health->body;
  // serve sees maintenance mode end when its listener, cut by the swap, is back.
  bool normal = false;
  for (int i = 0; i < 60 && !normal; ++i) {
    auto config = get(port, "/api/server/config");
    normal = config && !nlohmann::json::parse(config->body).value("maintenanceMode", true);
    if (!normal) std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(normal) << "serve stayed in maintenance mode:\n" << serve.stderr_text();

  // serve's stream resumes on the restored cluster's timeline: a new commit reaches the archive.
  commit_user(*db::Connection::open(db), "t4");
  Status status;
  for (int i = 0; i < 60; ++i) {
    status = read_status(db, data + "/pitr");
    if (status.slot.active && status.lag_bytes == 0 && status.problems.empty()) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(status.slot.active) << serve.stderr_text();
  EXPECT_EQ(status.lag_bytes, 0);
  EXPECT_TRUE(status.problems.empty()) << status.problems.front();
  EXPECT_EQ(serve.stderr_text().find("the embedded PostgreSQL stopped"), std::string::npos)
      << "the watchdog acted during the swap:\n" << serve.stderr_text();
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
}

}  // namespace
}  // namespace keepsake::pitr
