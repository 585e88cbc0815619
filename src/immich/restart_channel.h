// Immich's restart channel (spec §12): how running Immich servers learn of maintenance and
// restores, and how Keepsake learns of Immich's.
//
// Telling (RestartAnnouncement): what `immich-admin`'s one-shot restart does. Connect and subscribe
// to the response channels first (an unreachable Redis fails here, before the caller has changed
// anything), then, after the caller has written the maintenance-mode record, publish
// AppRestart {isMaintenanceMode} and wait up to 5 s (Immich's requestsTimeout) for every node's
// 'ok'. Nodes = PUBSUB NUMSUB socket.io-request#/# (every subscriber counts, Keepsake's own
// listeners included). A missing or non-'ok' answer throws.
//
// Listening (RestartListener, in `keepsake serve`): subscribes to socket.io-request#/# and answers
// AppRestart from other nodes with 'ok' exactly as an Immich node does, then calls back (the
// maintenance service re-reads the record at once). Ignores anything else; survives malformed
// messages; reconnects with backoff when Redis goes away.
//
// With no REDIS_* variable set there is no channel: announcements do nothing, and
// no_channel_notice() says what that means. Must never log the Redis password.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "config/redis_config.h"

namespace keepsake::immich {

class RedisClient;

inline constexpr std::chrono::milliseconds kRequestsTimeout{5000};

class RestartAnnouncement {
 public:
  // Connects when `redis` is set (throws Error(kUnavailable) when it cannot be reached).
  // `own_listeners`: subscriptions of this process to the request channel (answered by nobody).
  explicit RestartAnnouncement(const std::optional<RedisConfig>& redis, std::string uid = {}, int own_listeners = 0);
  ~RestartAnnouncement();

  // Publishes AppRestart {isMaintenanceMode: maintenance} and waits for every other node's 'ok'.
  // Returns how many nodes acknowledged (0 when nobody listens or there is no channel).
  int send(bool maintenance, std::chrono::milliseconds timeout = kRequestsTimeout);

 private:
  std::string uid_;
  int own_listeners_;
  std::unique_ptr<RedisClient> subscriber_, publisher_;
};

class RestartListener {
 public:
  // `on_restart` runs on the listener's thread after the 'ok' is sent. Like an Immich node, any
  // AppRestart is answered, whatever its payload: the maintenance-mode record is the truth.
  RestartListener(RedisConfig redis, std::function<void()> on_restart);
  ~RestartListener();
  RestartListener(const RestartListener&) = delete;
  RestartListener& operator=(const RestartListener&) = delete;

  void start();
  void stop();
  // True while subscribed to the request channel.
  bool listening() const { return listening_; }
  // An announcement sent as this node: its own request is not answered by this listener.
  std::unique_ptr<RestartAnnouncement> prepare_announcement() const;

 private:
  void run();
  void listen_once(const std::function<void()>& on_connected);
  void handle(const std::string& payload, RedisClient& publisher);

  RedisConfig redis_;
  std::function<void()> on_restart_;
  std::string uid_;
  std::atomic<bool> stopping_{false}, listening_{false};
  std::thread thread_;
};

// One line for `keepsake serve`, `maintenance status` and `doctor` when no REDIS_* variable is set.
std::string no_channel_notice();

}  // namespace keepsake::immich
