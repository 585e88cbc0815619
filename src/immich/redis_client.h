// A blocking Redis connection (Debian's hiredis) for the restart channel: connect with a bounded
// wait (Unix socket or TCP), AUTH and SELECT as ioredis does, commands, and replies read with a
// timeout (pub/sub messages included). Throws Error(kUnavailable) when Redis cannot be reached or
// the connection is lost; error messages name the address but never the password.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/redis_config.h"

namespace keepsake::immich {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One pub/sub message: ["message", channel, payload].
struct PubSubMessage {
  std::string channel;
  std::string payload;  // binary-safe
};

class RedisClient {
 public:
  static std::unique_ptr<RedisClient> connect(const RedisConfig& config, std::chrono::milliseconds timeout);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command and returns its reply; a Redis error reply throws.
  Reply command(const std::vector<std::string>& args);
  // Subscribes to the channels and waits for every confirmation.
  void subscribe(const std::vector<std::string>& channels, std::chrono::milliseconds timeout);
  // The next message on a subscribed channel, or nothing after `timeout`.
  std::optional<PubSubMessage> next_message(std::chrono::milliseconds timeout);

 private:
  RedisClient(redisContext* context, std::string address, std::chrono::milliseconds timeout)
      : c_(context), address_(std::move(address)), timeout_(timeout) {}
  void append(const std::vector<std::string>& args);
  std::optional<Reply> next_reply(std::chrono::milliseconds timeout);
  [[noreturn]] void lost(const std::string& what) const;

  redisContext* c_;
  std::string address_;
  std::chrono::milliseconds timeout_;
};

}  // namespace keepsake::immich
