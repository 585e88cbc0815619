#include "harness/immich_redis.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/paths.h"

namespace keepsake::testing {
namespace {

bool wait_until(const std::function<bool()>& done, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace

RedisServer::RedisServer() : socket_(dir_.path() + "/redis.sock") { start(); }

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
  process_ = std::make_unique<KeepsakeProcess>(
      std::map<std::string, std::string>{}, dir_.path(),
      std::vector<std::string>{"--port", "0", "--unixsocket", socket_, "--unixsocketperm", "700", "--save", "",
                               "--appendonly", "no", "--dir", dir_.path()},
      "/usr/bin/redis-server");
  bool ready = wait_until([&] { return process_->stdout_text().find("eady to accept connections") != std::string::npos; }, 10);
  if (!ready) throw std::runtime_error("redis-server did not start: " + process_->stdout_text() + process_->stderr_text());
}

void RedisServer::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  process_->wait_exit(10);
  process_.reset();
  std::filesystem::remove(socket_);
}

RedisConfig RedisServer::config() const {
  RedisConfig c;
  c.socket = socket_;
  return c;
}

ImmichPeer::ImmichPeer(const RedisServer& redis, const std::string& mode) {
  std::string peer = source_dir() + "/tests/immich-peer";
  if (!std::filesystem::exists(peer + "/node_modules/@socket.io/redis-adapter")) {
    throw std::runtime_error("scripts/setup.sh runs npm ci in " + peer);
  }
  process_ = std::make_unique<KeepsakeProcess>(
      std::map<std::string, std::string>{{"REDIS_SOCKET", redis.socket()}, {"PEER_MODE", mode}, {"HOME", dir_.path()},
                                         {"PEER_COMMANDS", dir_.path() + "/commands"}},
      dir_.path(), std::vector<std::string>{peer + "/peer.mjs"}, "/usr/bin/node");
  wait_for("ready");
}

ImmichPeer::~ImmichPeer() {
  process_->signal(SIGTERM);
  process_->wait_exit(10);
}

std::string ImmichPeer::output() const { return process_->stdout_text() + process_->stderr_text(); }

std::vector<nlohmann::json> ImmichPeer::events(const std::string& name) const {
  std::vector<nlohmann::json> found;
  std::istringstream lines(process_->stdout_text());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == name) found.push_back(j);
  }
  return found;
}

nlohmann::json ImmichPeer::wait_for(const std::string& name, size_t count, int seconds) const {
  if (!wait_until([&] { return events(name).size() >= count; }, seconds)) {
    throw std::runtime_error("the Immich peer printed no " + name + " (#" + std::to_string(count) + "): " + output());
  }
  return events(name)[count - 1];
}

void ImmichPeer::emit_app_restart(bool maintenance) {
  std::ofstream(dir_.path() + "/commands", std::ios::app) << "emit " << (maintenance ? "true" : "false") << "\n";
}

}  // namespace keepsake::testing
