// Immich's side of the restart channel for tests: a throwaway redis-server (Debian's) and a peer
// that speaks for a running Immich v2.7.5 server (tests/immich-peer/peer.mjs: Immich's own
// socket.io + @socket.io/redis-adapter + ioredis, installed by scripts/setup.sh).
//
// Each test gets its own redis-server (not one per ctest run like the PostgreSQL cluster):
// pub/sub has no namespaces, so tests running in parallel on one Redis would count and answer
// each other's nodes. It listens on a Unix socket in a temp folder only (no TCP, no persistence)
// and every wait is bounded.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/redis_config.h"
#include "harness/keepsake_process.h"
#include "harness/test_cluster.h"

namespace keepsake::testing {

class RedisServer {
 public:
  RedisServer();  // starts and waits until it accepts connections
  ~RedisServer();
  void stop();
  void start();
  const std::string& socket() const { return socket_; }
  RedisConfig config() const;
  // The environment that points Keepsake (and the peer) at it, as Immich's variables.
  std::map<std::string, std::string> env() const { return {{"REDIS_SOCKET", socket_}}; }

 private:
  TempDir dir_;
  std::string socket_;
  std::unique_ptr<KeepsakeProcess> process_;
};

class ImmichPeer {
 public:
  // mode: "ok", "silent" or "answer:<text>" (see peer.mjs). Waits until it is subscribed.
  ImmichPeer(const RedisServer& redis, const std::string& mode = "ok");
  ~ImmichPeer();
  // Every line printed so far with this event name.
  std::vector<nlohmann::json> events(const std::string& name) const;
  // Waits (bounded) until `count` lines with this event were printed; returns the last one.
  nlohmann::json wait_for(const std::string& name, size_t count = 1, int seconds = 20) const;
  // Immich entering (true) or leaving maintenance: serverSideEmitWithAck('AppRestart', ...).
  void emit_app_restart(bool maintenance);
  std::string output() const;

 private:
  TempDir dir_;
  std::unique_ptr<KeepsakeProcess> process_;
};

}  // namespace keepsake::testing
