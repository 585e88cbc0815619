#include "immich/socket_io_wire.h"

#include <msgpack.h>

#include <memory>
#include <random>

namespace keepsake::immich {
namespace {

constexpr int kMaxDepth = 64;

std::optional<nlohmann::json> to_json(const msgpack_object& o, int depth) {
  if (depth > kMaxDepth) return std::nullopt;
  switch (o.type) {
    case MSGPACK_OBJECT_NIL: return nlohmann::json(nullptr);
    case MSGPACK_OBJECT_BOOLEAN: return nlohmann::json(o.via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return nlohmann::json(o.via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return nlohmann::json(o.via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return nlohmann::json(o.via.f64);
    case MSGPACK_OBJECT_STR: return nlohmann::json(std::string(o.via.str.ptr, o.via.str.size));
    case MSGPACK_OBJECT_BIN:
      return nlohmann::json::binary(std::vector<uint8_t>(o.via.bin.ptr, o.via.bin.ptr + o.via.bin.size));
    case MSGPACK_OBJECT_ARRAY: {
      auto array = nlohmann::json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        auto item = to_json(o.via.array.ptr[i], depth + 1);
        if (!item) return std::nullopt;
        array.push_back(std::move(*item));
      }
      return array;
    }
    case MSGPACK_OBJECT_MAP: {
      auto map = nlohmann::json::object();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        auto value = to_json(kv.val, depth + 1);
        if (kv.key.type != MSGPACK_OBJECT_STR || !value) return std::nullopt;
        map[std::string(kv.key.via.str.ptr, kv.key.via.str.size)] = std::move(*value);
      }
      return map;
    }
    default: return std::nullopt;  // extension types: socket.io never sends them here
  }
}

std::optional<nlohmann::json> decode_msgpack(std::string_view bytes) {
  msgpack_unpacked unpacked;
  msgpack_unpacked_init(&unpacked);
  std::unique_ptr<msgpack_unpacked, decltype(&msgpack_unpacked_destroy)> guard(&unpacked, &msgpack_unpacked_destroy);
  size_t offset = 0;
  if (msgpack_unpack_next(&unpacked, bytes.data(), bytes.size(), &offset) != MSGPACK_UNPACK_SUCCESS ||
      offset != bytes.size()) {
    return std::nullopt;
  }
  return to_json(unpacked.data, 0);
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
