// Immich's restart channel against a real redis-server and a peer running Immich's own socket.io
// packages (tests/immich-peer): announcements with every acknowledgement, silent and non-'ok'
// peers, an unreachable Redis, and the listener answering Immich's own AppRestart, surviving
// garbage and a Redis restart.
#include "immich/restart_channel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/error.h"
#include "harness/immich_redis.h"
#include "immich/redis_client.h"
#include "immich/socket_io_wire.h"

namespace keepsake::immich {
namespace {

using keepsake::testing::ImmichPeer;
using keepsake::testing::RedisServer;

bool eventually(const std::function<bool()>& done, int seconds = 10) {
  for (int i = 0; i < seconds * 20 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return done();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
    return e.what();
  }
  return "";
}

TEST(RestartChannelTest, ImmichPeerReceivesTheExactPayloadAndAcknowledges) {
  RedisServer redis;
  ImmichPeer peer(redis);
  RestartAnnouncement announcement(redis.config());
  EXPECT_EQ(announcement.send(true), 1);
  EXPECT_EQ(peer.wait_for("AppRestart")["payload"], nlohmann::json::parse(R"({"isMaintenanceMode":true})"));
  EXPECT_EQ(announcement.send(false), 1);
  EXPECT_EQ(peer.wait_for("AppRestart", 2)["payload"], nlohmann::json::parse(R"({"isMaintenanceMode":false})"));
}

TEST(RestartChannelTest, EveryNodeMustAcknowledge) {
  RedisServer redis;
  ImmichPeer first(redis), second(redis);
  EXPECT_EQ(RestartAnnouncement(redis.config()).send(true), 2);
  ImmichPeer silent(redis, "silent");
  std::string error = error_of([&] { RestartAnnouncement(redis.config()).send(true, std::chrono::milliseconds(1500)); });
  EXPECT_NE(error.find("only 2 of 3 node(s) acknowledged AppRestart within 1.5 s"), std::string::npos) << error;
  EXPECT_EQ(silent.wait_for("AppRestart")["payload"]["isMaintenanceMode"], true);
}

TEST(RestartChannelTest, NonOkAnswerIsAnError) {
  RedisServer redis;
  ImmichPeer peer(redis, "answer:busy");
  std::string error = error_of([&] { RestartAnnouncement(redis.config()).send(false); });
  EXPECT_NE(error.find("non-'ok' response"), std::string::npos) << error;
  EXPECT_NE(error.find("\"busy\""), std::string::npos) << error;
}

TEST(RestartChannelTest, NobodyListeningIsFineAndNoChannelSendsNothing) {
  RedisServer redis;
  EXPECT_EQ(RestartAnnouncement(redis.config()).send(true), 0);
  EXPECT_EQ(RestartAnnouncement(std::nullopt).send(true), 0);
}

TEST(RestartChannelTest, UnreachableRedisFailsBeforeAnythingIsSent) {
  RedisConfig nowhere;
  nowhere.socket = "/nonexistent/redis.sock";
  std::string error = error_of([&] { RestartAnnouncement announcement(nowhere); });
  EXPECT_NE(error.find("Redis at unix:/nonexistent/redis.sock (db 0) cannot be reached"), std::string::npos) << error;

  RedisServer redis;
  RedisConfig wrong_password = redis.config();
  wrong_password.password = "not-this-one";
  error = error_of([&] { RestartAnnouncement announcement(wrong_password); });
  EXPECT_NE(error.find("cannot be reached"), std::string::npos) << error;
  EXPECT_EQ(error.find("not-this-one"), std::string::npos) << error;
}

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = std::make_unique<RestartListener>(redis_.config(), [this] { ++restarts_; });
    listener_->start();
    ASSERT_TRUE(eventually([&] { return listener_->listening(); }));
  }
  void TearDown() override { listener_->stop(); }

  RedisServer redis_;
  std::atomic<int> restarts_{0};
  std::unique_ptr<RestartListener> listener_;
};

TEST_F(ListenerTest, AnswersImmichsOwnAppRestartWithOk) {
  ImmichPeer peer(redis_);
  peer.emit_app_restart(true);
  EXPECT_EQ(peer.wait_for("emitted")["responses"], nlohmann::json::parse(R"(["ok"])")) << peer.output();
  EXPECT_TRUE(eventually([&] { return restarts_ == 1; }));
  peer.emit_app_restart(false);
  EXPECT_EQ(peer.wait_for("emitted", 2)["responses"], nlohmann::json::parse(R"(["ok"])")) << peer.output();
  EXPECT_TRUE(eventually([&] { return restarts_ == 2; }));
}

TEST_F(ListenerTest, SurvivesGarbageAndIgnoresWhatItDoesNotUnderstand) {
  auto client = RedisClient::connect(redis_.config(), std::chrono::seconds(3));
  for (std::string garbage : {std::string("{not json"), std::string("\xc1\xc1\xc1", 3), std::string("\x93\x01", 2),
                              std::string(100000, '\x91'), std::string(100000, '['),
                              std::string(R"({"type":6,"uid":"other1","requestId":"r1","data":["ConfigUpdate",{}]})"),
                              std::string(R"({"type":3,"uid":"other1","requestId":"r2","data":["AppRestart",{}]})"),
                              std::string(R"({"type":6,"uid":"other1","requestId":7,"data":["AppRestart",{}]})"),
                              std::string(R"({"type":6,"data":"AppRestart"})")}) {
    client->command({"PUBLISH", kRequestChannel, garbage});
  }
  ImmichPeer peer(redis_);
  peer.emit_app_restart(true);
  EXPECT_EQ(peer.wait_for("emitted")["responses"], nlohmann::json::parse(R"(["ok"])")) << peer.output();
  EXPECT_TRUE(eventually([&] { return restarts_ == 1; }));
  EXPECT_EQ(restarts_, 1) << "none of the garbage counted as a restart";
}

TEST_F(ListenerTest, ItsOwnAnnouncementIsNotAnsweredNorCountedAsANode) {
  ImmichPeer peer(redis_);
  EXPECT_EQ(listener_->prepare_announcement()->send(true), 1);
  EXPECT_EQ(peer.wait_for("AppRestart")["payload"]["isMaintenanceMode"], true);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(restarts_, 0);
}

TEST_F(ListenerTest, ReconnectsWhenRedisComesBack) {
  redis_.stop();
  ASSERT_TRUE(eventually([&] { return !listener_->listening(); }));
  redis_.start();
  ASSERT_TRUE(eventually([&] { return listener_->listening(); }, 30));
  ImmichPeer peer(redis_);
  peer.emit_app_restart(true);
  EXPECT_EQ(peer.wait_for("emitted")["responses"], nlohmann::json::parse(R"(["ok"])")) << peer.output();
}

TEST(RestartChannelTest, NoChannelNoticeNamesTheVariables) {
  std::string notice = no_channel_notice();
  EXPECT_NE(notice.find("will not be told of maintenance or restores"), std::string::npos);
  EXPECT_NE(notice.find("REDIS_HOSTNAME, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_DBINDEX, REDIS_URL, "
                        "REDIS_SOCKET"),
            std::string::npos);
}

}  // namespace
}  // namespace keepsake::immich
