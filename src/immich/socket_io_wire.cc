#include "immich/socket_io_wire.h"

#define MSGPACK_NO_BOOST
#include <msgpack.hpp>

#include <random>

namespace keepsake::immich {
namespace {

constexpr std::size_t kMaxDepth = 64;

std::optional<nlohmann::json> to_json(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nlohmann::json(nullptr);
    case msgpack::type::BOOLEAN: return nlohmann::json(o.via.boolean);
    case msgpack::type::POSITIVE_INTEGER: return nlohmann::json(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return nlohmann::json(o.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return nlohmann::json(o.via.f64);
    case msgpack::type::STR: return nlohmann::json(std::string(o.via.str.ptr, o.via.str.size));
    case msgpack::type::BIN:
      return nlohmann::json::binary(std::vector<uint8_t>(o.via.bin.ptr, o.via.bin.ptr + o.via.bin.size));
    case msgpack::type::ARRAY: {
      auto array = nlohmann::json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        auto item = to_json(o.via.array.ptr[i]);
        if (!item) return std::nullopt;
        array.push_back(std::move(*item));
      }
      return array;
    }
    case msgpack::type::MAP: {
      auto map = nlohmann::json::object();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        auto value = to_json(kv.val);
        if (kv.key.type != msgpack::type::STR || !value) return std::nullopt;
        map[std::string(kv.key.via.str.ptr, kv.key.via.str.size)] = std::move(*value);
      }
      return map;
    }
    default: return std::nullopt;  // extension types: socket.io never sends them here
  }
}

// Sizes are limited by the message's own length, so a forged header (an array of 4 billion
// items in 5 bytes) is refused before anything is allocated; nesting is limited too.
std::optional<nlohmann::json> decode_msgpack(std::string_view bytes) {
  const std::size_t n = bytes.size();
  msgpack::unpack_limit limit(n, n / 2, n, n, n, kMaxDepth);
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n) return std::nullopt;  // trailing bytes, as notepack.io refuses them
    return to_json(handle.get());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string own_response_channel(const std::string& uid) { return std::string(kResponseChannel) + uid + "#"; }

std::string encode_app_restart_request(const std::string& uid, const std::string& request_id, bool maintenance) {
  nlohmann::ordered_json state;
  state["isMaintenanceMode"] = maintenance;
  nlohmann::ordered_json request;
  request["uid"] = uid;
  request["requestId"] = request_id;
  request["type"] = kServerSideEmit;
  request["data"] = nlohmann::ordered_json::array({kAppRestart, state});
  return request.dump();
}

std::string encode_ok_response(const std::string& request_id) {
  nlohmann::ordered_json response;
  response["type"] = kServerSideEmit;
  response["requestId"] = request_id;
  response["data"] = "ok";
  return response.dump();
}

std::optional<nlohmann::json> decode_message(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  if (bytes.front() != '{') return decode_msgpack(bytes);
  auto parsed = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<ServerSideEmit> parse_server_side_emit(const nlohmann::json& request) {
  if (!request.is_object() || request.value("type", nlohmann::json()) != kServerSideEmit) return std::nullopt;
  const auto uid = request.find("uid");
  const auto data = request.find("data");
  if (uid == request.end() || !uid->is_string() || data == request.end() || !data->is_array() || data->empty() ||
      !(*data)[0].is_string()) {
    return std::nullopt;
  }
  ServerSideEmit emit;
  emit.uid = uid->get<std::string>();
  emit.event = (*data)[0].get<std::string>();
  emit.args = nlohmann::json(data->begin() + 1, data->end());
  if (auto id = request.find("requestId"); id != request.end()) {
    if (!id->is_string()) return std::nullopt;
    emit.request_id = id->get<std::string>();
  }
  return emit;
}

std::optional<EmitResponse> parse_emit_response(const nlohmann::json& response) {
  if (!response.is_object() || response.value("type", nlohmann::json()) != kServerSideEmit) return std::nullopt;
  auto id = response.find("requestId");
  if (id == response.end() || !id->is_string()) return std::nullopt;
  return EmitResponse{id->get<std::string>(), response.value("data", nlohmann::json())};
}

std::string new_uid() {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string uid;
  for (int i = 0; i < 6; ++i) uid += kAlphabet[pick(rng)];
  return uid;
}

}  // namespace keepsake::immich
