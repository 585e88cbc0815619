#include "immich/restart_channel.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "immich/redis_client.h"
#include "immich/socket_io_wire.h"

namespace keepsake::immich {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{3000};
constexpr std::chrono::milliseconds kStopCheck{250};
constexpr std::chrono::milliseconds kFirstRetry{500};
constexpr std::chrono::milliseconds kLongestRetry{10000};

const char* mode_name(bool maintenance) { return maintenance ? "on" : "off"; }

int request_channel_subscribers(RedisClient& client) {
  auto reply = client.command({"PUBSUB", "NUMSUB", kRequestChannel});
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[1]->type != REDIS_REPLY_INTEGER) {
    throw Error(ErrorKind::kUnavailable, "Redis answered PUBSUB NUMSUB in an unexpected form");
  }
  return static_cast<int>(reply->element[1]->integer);
}

Error missing_acks(bool maintenance, int acks, int nodes, std::chrono::milliseconds timeout) {
  return Error(ErrorKind::kUnavailable,
               "Immich's servers were not all told that maintenance is " + std::string(mode_name(maintenance)) +
                   ": only " + std::to_string(acks) + " of " + std::to_string(nodes) +
                   " node(s) acknowledged AppRestart within " + fmt::format("{:g}", timeout.count() / 1000.0) + " s",
               "a program subscribed to socket.io-request#/# on Redis did not answer: check that Immich is "
               "healthy (its logs) and that nothing else subscribes to that channel");
}

}  // namespace

RestartAnnouncement::RestartAnnouncement(const std::optional<RedisConfig>& redis, std::string uid, int own_listeners)
    : uid_(uid.empty() ? new_uid() : std::move(uid)), own_listeners_(own_listeners) {
  if (!redis) return;
  subscriber_ = RedisClient::connect(*redis, kConnectTimeout);
  subscriber_->subscribe({kResponseChannel, own_response_channel(uid_)}, kConnectTimeout);
  publisher_ = RedisClient::connect(*redis, kConnectTimeout);
}

RestartAnnouncement::~RestartAnnouncement() = default;

int RestartAnnouncement::send(bool maintenance, std::chrono::milliseconds timeout) {
  if (!publisher_) return 0;
  const int nodes = request_channel_subscribers(*publisher_) - own_listeners_;
  if (nodes <= 0) {
    spdlog::info("No Immich server listens on Redis (no subscriber to {}): nobody to tell that maintenance is {}",
                 kRequestChannel, mode_name(maintenance));
    return 0;
  }
  const std::string request_id = new_uid();
  publisher_->command({"PUBLISH", kRequestChannel, encode_app_restart_request(uid_, request_id, maintenance)});
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int acks = 0;
  while (acks < nodes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw missing_acks(maintenance, acks, nodes, timeout);
    auto message = subscriber_->next_message(left);
    auto decoded = message ? decode_message(message->payload) : std::nullopt;
    auto response = decoded ? parse_emit_response(*decoded) : std::nullopt;
    if (!response || response->request_id != request_id) continue;
    if (response->data != "ok") {
      throw Error(ErrorKind::kUnavailable,
                  "One or more node(s) returned a non-'ok' response to our restart request: " + response->data.dump() +
                      " (" + std::to_string(acks) + " of " + std::to_string(nodes) + " node(s) had answered 'ok')");
    }
    ++acks;
  }
  spdlog::info("Told {} Immich server(s) that maintenance is {} (AppRestart acknowledged)", acks, mode_name(maintenance));
  return acks;
}

RestartListener::RestartListener(RedisConfig redis, std::function<void()> on_restart)
    : redis_(std::move(redis)), on_restart_(std::move(on_restart)), uid_(new_uid()) {}

RestartListener::~RestartListener() { stop(); }

void RestartListener::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void RestartListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<RestartAnnouncement> RestartListener::prepare_announcement() const {
  return std::make_unique<RestartAnnouncement>(redis_, uid_, listening_ ? 1 : 0);
}

void RestartListener::run() {
  auto retry = kFirstRetry;
  bool failing = false;
  while (!stopping_) {
    try {
      listen_once([&] {
        spdlog::info("{} Redis at {}", failing ? "Immich's restart channel: connected again to" : "Listening for Immich's restart events on",
                     redis_.display());
        failing = false;
        retry = kFirstRetry;
      });
    } catch (const std::exception& e) {
      listening_ = false;
      if (!failing) {
        spdlog::warn("Immich's restart channel: {}; retrying in the background (meanwhile this server still "
                     "follows maintenance mode through the database, within a second)", e.what());
      }
      failing = true;
      for (auto waited = std::chrono::milliseconds(0); waited < retry && !stopping_; waited += kStopCheck) {
        std::this_thread::sleep_for(kStopCheck);
      }
      retry = std::min(retry * 2, kLongestRetry);
    }
  }
  listening_ = false;
}

void RestartListener::listen_once(const std::function<void()>& on_connected) {
  auto subscriber = RedisClient::connect(redis_, kConnectTimeout);
  subscriber->subscribe({kRequestChannel}, kConnectTimeout);
  auto publisher = RedisClient::connect(redis_, kConnectTimeout);
  listening_ = true;
  on_connected();
  while (!stopping_) {
    if (auto message = subscriber->next_message(kStopCheck)) handle(message->payload, *publisher);
  }
}

void RestartListener::handle(const std::string& payload, RedisClient& publisher) {
  auto decoded = decode_message(payload);
  auto emit = decoded ? parse_server_side_emit(*decoded) : std::nullopt;
  if (!emit || emit->uid == uid_ || emit->event != kAppRestart) return;
  spdlog::info("Immich announced a restart {}: re-reading the maintenance mode",
               emit->args.empty() ? std::string("{}") : emit->args[0].dump());
  if (emit->request_id) publisher.command({"PUBLISH", kResponseChannel, encode_ok_response(*emit->request_id)});
  try {
    on_restart_();
  } catch (const std::exception& e) {
    spdlog::error("Following Immich's restart event failed: {}", e.what());
  }
}

std::string no_channel_notice() {
  return "Immich's restart channel is off (no REDIS_* variable is set): running Immich servers will not be told of "
         "maintenance or restores and keep writing; set " + redis_variable_names() +
         " to the values Immich's servers use.";
}

}  // namespace keepsake::immich
