#include "immich/redis_client.h"

#include <poll.h>

#include "common/error.h"

namespace keepsake::immich {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  return {static_cast<time_t>(d.count() / 1000), static_cast<suseconds_t>(d.count() % 1000 * 1000)};
}

Error unreachable(const RedisConfig& config, const std::string& why) {
  return Error(ErrorKind::kUnavailable, "Redis at " + config.display() + " cannot be reached: " + why,
               "Immich's servers are told of maintenance and restores through it; check " + redis_variable_names());
}

}  // namespace

std::unique_ptr<RedisClient> RedisClient::connect(const RedisConfig& config, std::chrono::milliseconds timeout) {
  redisContext* c = config.socket.empty()
                        ? redisConnectWithTimeout(config.host.c_str(), config.port, to_timeval(timeout))
                        : redisConnectUnixWithTimeout(config.socket.c_str(), to_timeval(timeout));
  if (!c) throw unreachable(config, "out of memory");
  if (c->err) {
    std::string why = c->errstr;
    redisFree(c);
    throw unreachable(config, why);
  }
  std::unique_ptr<RedisClient> client(new RedisClient(c, config.display(), timeout));
  redisSetTimeout(c, to_timeval(timeout));
  if (config.socket.empty()) redisEnableKeepAlive(c);  // TCP only: it fails (and poisons c->err) on a Unix socket
  try {
    if (!config.password.empty()) {
      client->command(config.username.empty() ? std::vector<std::string>{"AUTH", config.password}
                                              : std::vector<std::string>{"AUTH", config.username, config.password});
    }
    if (config.db_index != 0) client->command({"SELECT", std::to_string(config.db_index)});
  } catch (const Error& e) {
    throw unreachable(config, e.what());
  }
  return client;
}

RedisClient::~RedisClient() { redisFree(c_); }

void RedisClient::lost(const std::string& what) const {
  throw Error(ErrorKind::kUnavailable, "Redis at " + address_ + ": " + what + (c_->err ? std::string(": ") + c_->errstr : ""));
}

void RedisClient::append(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
    lost("cannot send " + args.front());
  }
}

Reply RedisClient::command(const std::vector<std::string>& args) {
  append(args);
  auto reply = next_reply(timeout_);
  if (!reply) lost(args.front() + " got no answer in time");
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    throw Error(ErrorKind::kUnavailable, "Redis at " + address_ + " refused " + args.front() + ": " + (*reply)->str);
  }
  return std::move(*reply);
}

std::optional<Reply> RedisClient::next_reply(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int done = 0; !done;) {
    if (redisBufferWrite(c_, &done) != REDIS_OK) lost("the connection was lost");
  }
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(c_, &raw) != REDIS_OK) lost("unreadable reply");
    if (raw) return Reply(static_cast<redisReply*>(raw));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{c_->fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready == 0) return std::nullopt;
    if (ready < 0 && errno != EINTR) lost("poll failed");
    if (ready > 0 && redisBufferRead(c_) != REDIS_OK) lost("the connection was lost");
  }
}

void RedisClient::subscribe(const std::vector<std::string>& channels, std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {"SUBSCRIBE"};
  args.insert(args.end(), channels.begin(), channels.end());
  append(args);
  for (size_t i = 0; i < channels.size(); ++i) {
    auto reply = next_reply(timeout);
    if (!reply) lost("SUBSCRIBE got no answer in time");
    if ((*reply)->type == REDIS_REPLY_ERROR) lost(std::string("SUBSCRIBE refused: ") + (*reply)->str);
  }
}

std::optional<PubSubMessage> RedisClient::next_message(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto reply = next_reply(std::max(left, std::chrono::milliseconds(0)));
    if (!reply) return std::nullopt;
    redisReply* r = reply->get();
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING &&
        std::string_view(r->element[0]->str, r->element[0]->len) == "message" &&
        r->element[2]->type == REDIS_REPLY_STRING) {
      return PubSubMessage{std::string(r->element[1]->str, r->element[1]->len),
                           std::string(r->element[2]->str, r->element[2]->len)};
    }
    if (left.count() <= 0) return std::nullopt;
  }
}

}  // namespace keepsake::immich
