// A point-in-time restore through the maintenance API (POST /api/admin/maintenance with
// restore_database and restoreToTime), over real HTTP against a PITR cluster: the Keepsake
// extension's validation (400 in Immich's message style, 409 naming the recoverable window), then
// a restore to a time between t2 and t3 that goes through maintenance mode, reports its task in the
// maintenance status and ends in normal mode with exactly t1 and t2 live. About 60 s on the loaded
// 2-core machine (ASan):
// `pitr enable` (a base backup) and one recovery followed by the streamed load.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "app/app_context.h"
#include "db/pool.h"
#include "http/routes.h"
#include "http/test_server.h"
#include "maintenance/maintenance_service.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"

namespace keepsake::pitr {
namespace {
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;
using namespace std::chrono_literals;

// On the cluster of PitrImmichTest (an external database for Keepsake: the streamed load) or of
// PitrEmbeddedTest (Keepsake's own embedded cluster: its data folder replaced in this process,
// beside this server's pool and maintenance service).
template <class Cluster>
class PitrHttpFixture : public Cluster {
 protected:
  void start_server() {
    config_.db = this->db_;
    config_.data_dir = this->dir_.path() + "/data";
    config_.media_location = this->dir_.path() + "/media";
    app_ = std::make_unique<app::AppContext>(config_);
    pool_ = std::make_unique<db::Pool>(this->db_, 2);
    service_ = std::make_unique<maintenance::MaintenanceService>(
        config_, maintenance::MaintenanceHooks{.switch_mode = [this](bool on) {
          if (server_) server_->server().switch_to(on ? http::kMaintenanceRoutes : http::kNormalRoutes);
        }});
    service_->initialise();
    http::RouteDeps deps{.app = app_.get(), .pool = pool_.get(), .maintenance = service_.get()};
    server_ = std::make_unique<keepsake::testing::RunningServer>(http::kNormalRoutes, deps,
                                                                 keepsake::testing::signed_in_as(true));
    service_->start();
  }
  void TearDown() override {
    server_.reset();
    if (service_) service_->stop();
    service_.reset();
    pool_.reset();
    Cluster::TearDown();
  }
  httplib::Result post(const json& body) {
    return server_->client().Post("/api/admin/maintenance", key_, body.dump(), "application/json");
  }
  bool in_maintenance() {
    return maintenance::read_maintenance_state(*db::Connection::open(this->db_)).active;
  }
  // PITR enabled and streamed as `serve` does; users t1, t2, t3; returns a time between t2 and t3
  // once the stream has it.
  int64_t enable_and_commit_t1_t2_t3(WalStreamer& streamer) {
    enable({.db = this->db_, .archive_dir = archive_dir_for(config_)});
    streamer.start();
    this->commit_user("t1");
    int64_t after_t2 = this->commit_user("t2");
    std::this_thread::sleep_for(50ms);
    this->commit_user("t3");
    this->conn_.reset();
    for (int i = 0; i < 300; ++i) {  // the stream catches up, as the console shows the window first
      auto latest = read_status(this->db_, archive_dir_for(config_)).latest_us;
      if (latest && *latest > after_t2 + 50'000) break;
      std::this_thread::sleep_for(100ms);
    }
    return after_t2;
  }
  // The restore to `target` through the API, followed in the maintenance status until the server
  // is back in normal mode; returns the tasks it reported.
  std::set<std::string> restore_through_api(int64_t target) {
    auto started = post({{"action", "restore_database"}, {"restoreToTime", format_iso8601(target)}});
    EXPECT_EQ(started->status, 201) << started->body;
    std::set<std::string> tasks;
    bool ended = false;
    for (int i = 0; i < 1200 && !ended; ++i) {  // at most 2 minutes
      auto s = server_->client().Get("/api/admin/maintenance/status", key_);
      if (s && s->status == 200) {
        auto j = json::parse(s->body);
        if (j.contains("task")) tasks.insert(j["task"].get<std::string>());
        EXPECT_NE(j.value("task", ""), "error") << service_->status().to_json(true).dump();
        if (j.value("task", "") == "error") return tasks;
      }
      ended = tasks.count("restore") && !service_->active() && !in_maintenance();
      if (!ended) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(ended) << service_->status().to_json(true).dump();
    EXPECT_EQ(server_->server().current_route_set(), http::kNormalRoutes);
    return tasks;
  }

  httplib::Headers key_{{"x-api-key", "key"}};
  Config config_;
  std::unique_ptr<app::AppContext> app_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<maintenance::MaintenanceService> service_;
  std::unique_ptr<keepsake::testing::RunningServer> server_;
};

using PitrHttpTest = PitrHttpFixture<keepsake::testing::PitrImmichTest>;
using PitrHttpEmbeddedTest = PitrHttpFixture<keepsake::testing::PitrEmbeddedTest>;

TEST_F(PitrHttpTest, RestoresToATimeThroughTheMaintenanceApi) {
  make_immich_database();
  start_server();
  auto not_enabled = post({{"action", "restore_database"}, {"restoreToLatest", true}});
  EXPECT_EQ(not_enabled->status, 409) << not_enabled->body;
  EXPECT_THAT(json::parse(not_enabled->body)["message"].get<std::string>(), HasSubstr("not enabled"));

  WalStreamer streamer(db_, archive_dir_for(config_));  // as `serve` runs it: the window reaches now
  int64_t after_t2 = enable_and_commit_t1_t2_t3(streamer);

  auto both = post({{"action", "restore_database"}, {"restoreToLatest", true}, {"restoreToRestorePoint", "x"}});
  EXPECT_EQ(both->status, 400);
  EXPECT_EQ(json::parse(both->body)["message"],
            json({"give exactly one of restoreToTime, restoreToRestorePoint, restoreToLatest"}));
  auto with_file = post({{"action", "restore_database"}, {"restoreToLatest", true}, {"restoreBackupFilename", "a.sql.gz"}});
  EXPECT_EQ(with_file->status, 400);
  auto not_a_time = post({{"action", "restore_database"}, {"restoreToTime", "yesterday at six"}});
  EXPECT_EQ(not_a_time->status, 400);
  EXPECT_EQ(json::parse(not_a_time->body)["message"],
            json({"restoreToTime must be a valid ISO 8601 date string with a time zone"}));
  auto too_early = post({{"action", "restore_database"}, {"restoreToTime", "2001-01-01T00:00:00Z"}});
  EXPECT_EQ(too_early->status, 409);
  EXPECT_THAT(json::parse(too_early->body)["message"].get<std::string>(),
              HasSubstr("2001-01-01T00:00:00.000000Z is outside the recoverable window, "));
  auto no_point = post({{"action", "restore_database"}, {"restoreToRestorePoint", "keepsake-nope"}});
  EXPECT_EQ(no_point->status, 409);
  EXPECT_FALSE(in_maintenance()) << "a refused request changes nothing";

  restore_through_api(after_t2);
  EXPECT_THAT(live_users(), ElementsAre("t1", "t2"));
  EXPECT_TRUE(std::filesystem::is_empty(archive_dir_for(config_) + "/restore")) << "the scratch cluster is gone";
}

// The same restore of Keepsake's own embedded cluster, run by this process's maintenance service:
// its data folder is replaced under this server's pool, which answers again on the restored one.
TEST_F(PitrHttpEmbeddedTest, RestoresTheEmbeddedClusterToATimeThroughTheMaintenanceApi) {
  make_immich_database();
  start_server();
  WalStreamer streamer(db_, archive_dir_for(config_));
  int64_t after_t2 = enable_and_commit_t1_t2_t3(streamer);
  auto tasks = restore_through_api(after_t2);
  EXPECT_TRUE(tasks.count("swap")) << ::testing::PrintToString(tasks);
  EXPECT_THAT(live_users(), ElementsAre("t1", "t2"));
  auto health = server_->client().Get("/api/server/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << "the pool did not reconnect to the restored cluster: " << health->body;
  streamer.stop();
}

}  // namespace
}  // namespace keepsake::pitr
