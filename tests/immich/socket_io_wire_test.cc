// The socket.io Redis adapter's wire format as @socket.io/redis-adapter 8.3.0 writes and reads it:
// the exact AppRestart request and 'ok' response, JSON and MessagePack decoding, and garbage that
// must come out as nothing (never a crash).
#include "immich/socket_io_wire.h"

#include <gtest/gtest.h>
#define MSGPACK_NO_BOOST
#include <msgpack.hpp>

namespace keepsake::immich {
namespace {

// {"type":6,"requestId":<id>,"data":<data>} packed by msgpack-c, as notepack.io would.
std::string packed_response(const std::string& request_id, const std::string& data) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(3);
  pk.pack(std::string("type"));
  pk.pack(6);
  pk.pack(std::string("requestId"));
  pk.pack(request_id);
  pk.pack(std::string("data"));
  pk.pack(data);
  return std::string(buffer.data(), buffer.size());
}

TEST(SocketIoWireTest, AppRestartRequestIsExactlyImmichs) {
  EXPECT_EQ(encode_app_restart_request("aB3dE9", "Zy12xw", true),
            R"({"uid":"aB3dE9","requestId":"Zy12xw","type":6,"data":["AppRestart",{"isMaintenanceMode":true}]})");
  EXPECT_EQ(encode_app_restart_request("aB3dE9", "Zy12xw", false),
            R"({"uid":"aB3dE9","requestId":"Zy12xw","type":6,"data":["AppRestart",{"isMaintenanceMode":false}]})");
  EXPECT_EQ(encode_ok_response("Zy12xw"), R"({"type":6,"requestId":"Zy12xw","data":"ok"})");
  EXPECT_EQ(own_response_channel("aB3dE9"), "socket.io-response#/#aB3dE9#");
}

TEST(SocketIoWireTest, OwnMessagesDecodeBack) {
  auto emit = parse_server_side_emit(*decode_message(encode_app_restart_request("u1u1u1", "r1r1r1", true)));
  ASSERT_TRUE(emit);
  EXPECT_EQ(emit->uid, "u1u1u1");
  EXPECT_EQ(emit->request_id, "r1r1r1");
  EXPECT_EQ(emit->event, "AppRestart");
  EXPECT_EQ(emit->args, nlohmann::json::parse(R"([{"isMaintenanceMode":true}])"));
  auto response = parse_emit_response(*decode_message(encode_ok_response("r1r1r1")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->request_id, "r1r1r1");
  EXPECT_EQ(response->data, "ok");
}

TEST(SocketIoWireTest, EmitWithoutAcknowledgementHasNoRequestId) {
  auto emit = parse_server_side_emit(
      *decode_message(R"({"uid":"x","type":6,"data":["AppRestart",{"isMaintenanceMode":false}]})"));
  ASSERT_TRUE(emit);
  EXPECT_FALSE(emit->request_id);
}

TEST(SocketIoWireTest, MessagePackResponsesAreDecoded) {
  auto decoded = decode_message(packed_response("abcdef", "ok"));
  ASSERT_TRUE(decoded);
  auto response = parse_emit_response(*decoded);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->request_id, "abcdef");
  EXPECT_EQ(response->data, "ok");
  EXPECT_EQ(parse_emit_response(*decode_message(packed_response("abcdef", "no")))->data, "no");
}

TEST(SocketIoWireTest, GarbageIsNothing) {
  for (std::string garbage : {std::string(), std::string("{"), std::string("{\"uid\":"), std::string("{}}"),
                              std::string("\xc1", 1), std::string("\x93\x01", 2), std::string("\x92\x01\x02\x03", 4),
                              std::string("\xdf\xff\xff\xff\xff", 5), std::string("\xdd\xff\xff\xff\xff", 5),
                              std::string("\xdb\xff\xff\xff\xff", 5), std::string("\x81\x01\x02", 3),
                              std::string(200000, '\x91'), std::string(200000, '[')}) {
    EXPECT_FALSE(decode_message(garbage)) << garbage.size() << " bytes";
  }
  std::string truncated = packed_response("abcdef", "ok");
  truncated.pop_back();
  EXPECT_FALSE(decode_message(truncated));
}

TEST(SocketIoWireTest, WellFormedButForeignMessagesAreNotEmits) {
  for (const char* json : {R"({"type":7,"uid":"x","requestId":"r","data":["AppRestart",{}]})",
                           R"({"type":6,"data":["AppRestart"]})", R"({"type":6,"uid":"x","data":"AppRestart"})",
                           R"({"type":6,"uid":"x","data":[]})", R"({"type":6,"uid":"x","data":[1,2]})",
                           R"({"type":6,"uid":"x","requestId":5,"data":["AppRestart"]})", R"([6])", R"("text")"}) {
    auto decoded = nlohmann::json::parse(json);
    EXPECT_FALSE(parse_server_side_emit(decoded)) << json;
  }
  EXPECT_FALSE(parse_emit_response(nlohmann::json::parse(R"({"type":6,"data":"ok"})")));
  EXPECT_FALSE(parse_emit_response(nlohmann::json::parse(R"({"type":2,"requestId":"r","data":"ok"})")));
}

TEST(SocketIoWireTest, UidsAreSixAlphanumericCharacters) {
  std::string a = new_uid(), b = new_uid();
  EXPECT_EQ(a.size(), 6u);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace keepsake::immich
