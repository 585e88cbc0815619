// The socket.io Redis adapter's wire format for server-side emits (spec §12.2,
// @socket.io/redis-adapter 8.3.0): channel names, Immich's AppRestart request, the 'ok'
// acknowledgement, and decoding of whatever arrives on the request and response channels (JSON
// when the first byte is '{', otherwise MessagePack through msgpack-c's C++ API, with every size
// bounded by the message's length). Pure functions; decoding never throws: anything malformed is
// nothing.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace keepsake::immich {

inline constexpr const char* kRequestChannel = "socket.io-request#/#";
inline constexpr const char* kResponseChannel = "socket.io-response#/#";
inline constexpr int kServerSideEmit = 6;  // RequestType.SERVER_SIDE_EMIT
inline constexpr const char* kAppRestart = "AppRestart";

// socket.io-response#/#<uid>#, where a node asks for responses meant for it alone.
std::string own_response_channel(const std::string& uid);

// {"uid":"<uid>","requestId":"<id>","type":6,"data":["AppRestart",{"isMaintenanceMode":<bool>}]}
std::string encode_app_restart_request(const std::string& uid, const std::string& request_id, bool maintenance);
// {"type":6,"requestId":"<id>","data":"ok"}
std::string encode_ok_response(const std::string& request_id);

// JSON if the first byte is '{', else MessagePack (the whole buffer, no trailing bytes).
std::optional<nlohmann::json> decode_message(std::string_view bytes);

// A server-side emit from another node: its event name and arguments.
struct ServerSideEmit {
  std::string uid;
  std::optional<std::string> request_id;  // present when the sender waits for acknowledgements
  std::string event;
  nlohmann::json args = nlohmann::json::array();
};
std::optional<ServerSideEmit> parse_server_side_emit(const nlohmann::json& request);

// A response to a server-side emit with acknowledgement.
struct EmitResponse {
  std::string request_id;
  nlohmann::json data;
};
std::optional<EmitResponse> parse_emit_response(const nlohmann::json& response);

// Six random characters from [A-Za-z0-9], like uid2(6).
std::string new_uid();

}  // namespace keepsake::immich
