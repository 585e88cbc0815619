// The real `keepsake` binary beside a peer that speaks for a running Immich v2.7.5 server on a
// real redis-server and the test cluster's PostgreSQL: `maintenance enable` / `disable` and a
// restore tell Immich with the exact payloads; Immich's own maintenance event makes `keepsake
// serve` follow and gets its 'ok'; a silent Immich stops a restore before it touches anything; a
// configured but unreachable Redis is an error, never a silent skip.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <thread>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "harness/bootstrapped_database.h"
#include "harness/immich_redis.h"
#include "harness/keepsake_process.h"
#include "maintenance/maintenance_state.h"
#include "restore/database_swap.h"

namespace keepsake {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::ImmichPeer;
using keepsake::testing::KeepsakeProcess;
using keepsake::testing::RedisServer;
using keepsake::testing::TempDir;

const nlohmann::json kOn = nlohmann::json::parse(R"({"isMaintenanceMode":true})");
const nlohmann::json kOff = nlohmann::json::parse(R"({"isMaintenanceMode":false})");

class BesideImmichTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    fs::create_directories(backup::backups_folder(media_.path()));
    conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  }
  void TearDown() override {
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    for (auto& d : restore::find_restore_databases(*admin, db_name_)) restore::drop_restore_database(*admin, db_name_, d.name);
    BootstrappedDatabaseTest::TearDown();
  }
  std::map<std::string, std::string> env(const std::map<std::string, std::string>& redis) const {
    std::map<std::string, std::string> e = {{"DB_URL", keepsake::testing::database_url(db_name_)},
                                            {"IMMICH_MEDIA_LOCATION", media_.path()},
                                            {"KEEPSAKE_DATA_DIR", work_.path() + "/data"}};
    e.insert(redis.begin(), redis.end());
    return e;
  }
  // Runs keepsake with `args`; returns its exit code, stdout and stderr in `out`.
  int run(const std::map<std::string, std::string>& redis, std::vector<std::string> args, std::string* out = nullptr) {
    KeepsakeProcess p(env(redis), work_.path(), std::move(args));
    int code = p.wait_exit(120);
    if (out) *out = p.stdout_text() + p.stderr_text();
    return code;
  }
  std::string backup_now() {
    backup::BackupOptions o;
    o.db = db_config_;
    o.media_location = media_.path();
    return backup::create_backup(o).filename;
  }
  std::string emails() { return conn_->exec(R"(SELECT string_agg(email, ',' ORDER BY email) FROM "user")").text(0, 0); }
  bool maintenance_on() { return maintenance::read_maintenance_state(*conn_).active; }

  TempDir media_, work_;
};

TEST_F(BesideImmichTest, MaintenanceEnableAndDisableTellImmich) {
  RedisServer redis;
  ImmichPeer peer(redis);
  std::string out;
  ASSERT_EQ(run(redis.env(), {"maintenance", "enable"}, &out), 0) << out;
  EXPECT_EQ(peer.wait_for("AppRestart")["payload"], kOn);
  EXPECT_TRUE(maintenance_on());
  EXPECT_NE(out.find("Told 1 Immich server(s) that maintenance is on"), std::string::npos) << out;

  ASSERT_EQ(run(redis.env(), {"maintenance", "disable"}, &out), 0) << out;
  EXPECT_EQ(peer.wait_for("AppRestart", 2)["payload"], kOff);
  EXPECT_FALSE(maintenance_on());
  EXPECT_EQ(peer.events("AppRestart").size(), 2u);
}

TEST_F(BesideImmichTest, RestoreTellsImmichBeforeAndAfter) {
  std::string file = backup_now();
  conn_->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  RedisServer redis;
  ImmichPeer peer(redis);
  std::string out;
  ASSERT_EQ(run(redis.env(), {"restore", file, "--yes"}, &out), 0) << out;
  auto told = peer.events("AppRestart");
  ASSERT_EQ(told.size(), 2u) << peer.output();
  EXPECT_EQ(told[0]["payload"], kOn);
  EXPECT_EQ(told[1]["payload"], kOff);
  conn_ = db::Connection::open(db_config_);
  EXPECT_EQ(emails(), "admin@example.com");
  EXPECT_FALSE(maintenance_on());
}

TEST_F(BesideImmichTest, SilentImmichStopsTheRestoreBeforeItTouchesAnything) {
  std::string file = backup_now();
  conn_->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  RedisServer redis;
  ImmichPeer silent(redis, "silent");
  std::string out;
  EXPECT_NE(run(redis.env(), {"restore", file, "--yes"}, &out), 0) << out;
  EXPECT_NE(out.find("the restore stopped before touching anything"), std::string::npos) << out;
  EXPECT_NE(out.find("only 0 of 1 node(s) acknowledged AppRestart"), std::string::npos) << out;
  EXPECT_EQ(silent.wait_for("AppRestart")["payload"], kOn);
  conn_ = db::Connection::open(db_config_);
  EXPECT_EQ(emails(), "admin@example.com,later@example.com");
  EXPECT_FALSE(maintenance_on()) << "maintenance is left as it was before";
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  EXPECT_TRUE(restore::find_restore_databases(*admin, db_name_).empty());
}

TEST_F(BesideImmichTest, UnreachableRedisIsAnErrorForEnableAndRestore) {
  std::string file = backup_now();
  std::map<std::string, std::string> nowhere = {{"REDIS_SOCKET", work_.path() + "/no-redis.sock"}};
  std::string out;
  EXPECT_NE(run(nowhere, {"maintenance", "enable"}, &out), 0);
  EXPECT_NE(out.find("cannot be reached"), std::string::npos) << out;
  EXPECT_FALSE(maintenance_on()) << "nothing is written when Immich cannot be told";

  conn_->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  EXPECT_NE(run(nowhere, {"restore", file, "--yes"}, &out), 0);
  EXPECT_NE(out.find("cannot be reached"), std::string::npos) << out;
  EXPECT_EQ(emails(), "admin@example.com,later@example.com");
  EXPECT_FALSE(maintenance_on());
}

TEST_F(BesideImmichTest, ServeFollowsImmichsOwnMaintenanceEventAndAcknowledges) {
  RedisServer redis;
  int port = keepsake::testing::free_port();
  auto serve_env = env(redis.env());
  serve_env["IMMICH_HOST"] = "127.0.0.1";
  serve_env["IMMICH_PORT"] = std::to_string(port);
  KeepsakeProcess serve(serve_env, work_.path());
  ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
  ASSERT_TRUE(serve.wait_for_log("Listening for Immich's restart events on Redis")) << serve.stderr_text();
  httplib::Client client("127.0.0.1", port);
  auto maintenance_mode = [&] {
    auto r = client.Get("/api/server/config");
    return r ? nlohmann::json::parse(r->body)["maintenanceMode"] : nlohmann::json();
  };
  auto eventually = [&](bool expected) {
    for (int i = 0; i < 200 && maintenance_mode() != expected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return maintenance_mode() == expected;
  };
  ASSERT_TRUE(eventually(false));

  // As Immich does: write the record (no NOTIFY: Immich sends none), then emit with acknowledgement.
  ImmichPeer immich(redis);
  maintenance::MaintenanceState on{true, maintenance::new_maintenance_secret(), maintenance::MaintenanceAction::kStart, ""};
  conn_->exec("INSERT INTO system_metadata (key, value) VALUES ('maintenance-mode', $1) "
              "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
              {on.to_json().dump()});
  immich.emit_app_restart(true);
  EXPECT_EQ(immich.wait_for("emitted")["responses"], nlohmann::json::parse(R"(["ok"])")) << immich.output();
  EXPECT_TRUE(eventually(true)) << serve.stderr_text();
  EXPECT_NE(serve.stderr_text().find(R"(Immich announced a restart {"isMaintenanceMode":true})"), std::string::npos)
      << serve.stderr_text();

  conn_->exec("UPDATE system_metadata SET value = $1 WHERE key = 'maintenance-mode'",
              {maintenance::MaintenanceState{}.to_json().dump()});
  immich.emit_app_restart(false);
  EXPECT_EQ(immich.wait_for("emitted", 2)["responses"], nlohmann::json::parse(R"(["ok"])")) << immich.output();
  EXPECT_TRUE(eventually(false)) << serve.stderr_text();

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(60), 0) << serve.stderr_text();
}

TEST_F(BesideImmichTest, ServeWithoutRedisSaysOnceThatImmichIsNotTold) {
  int port = keepsake::testing::free_port();
  auto serve_env = env({});
  serve_env["IMMICH_HOST"] = "127.0.0.1";
  serve_env["IMMICH_PORT"] = std::to_string(port);
  KeepsakeProcess serve(serve_env, work_.path());
  ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
  std::string log = serve.stderr_text();
  auto first = log.find("Immich's restart channel is off");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("Immich's restart channel is off", first + 1), std::string::npos) << log;
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(60), 0) << serve.stderr_text();
}

}  // namespace
}  // namespace keepsake
