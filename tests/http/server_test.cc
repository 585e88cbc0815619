#include "http/server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/test_cluster.h"
#include "http/routes.h"
#include "http/test_server.h"

namespace keepsake::http {
namespace {

using keepsake::testing::RunningServer;
using nlohmann::json;

// Credentials are checked by a simple table here; the real AuthService is tested in tests/auth.
auth::AuthUser fixed_authenticator(const auth::Credentials& c) {
  if (c.session_token == "admin-token") {
    return {.id = "u1", .email = "a@x", .name = "A", .is_admin = true, .permissions = {"all"}};
  }
  if (c.api_key == "reader-key") {
    return {.id = "u2", .email = "b@x", .name = "B", .api_key_id = "k1",
            .permissions = {"backup.download"}};
  }
  throw Error(ErrorKind::kUnauthorized, "Invalid user token");
}

json parse(const httplib::Result& res) { return json::parse(res->body); }

void expect_error_shape(const httplib::Result& res, int status, const std::string& message) {
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, status);
  json body = parse(res);
  EXPECT_EQ(body["statusCode"], status);
  EXPECT_EQ(body["error"], http_status_text(status));
  EXPECT_EQ(body["message"], message);
}

TEST(HttpServer, PingVersionAndConfigFromTheNormalRouteSet) {
  RunningServer server(kNormalRoutes, {}, {});
  auto c = server.client();
  auto ping = c.Get("/api/server/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(parse(ping), json({{"res", "pong"}}));
  auto version = parse(c.Get("/api/server/version"));
  EXPECT_EQ(version["major"], 2);
  EXPECT_EQ(version["minor"], 7);
  EXPECT_EQ(version["patch"], 5);
  auto config = parse(c.Get("/api/server/config"));
  EXPECT_EQ(config["maintenanceMode"], false);
  EXPECT_EQ(config["isInitialized"], false);
}

TEST(HttpServer, UnknownRouteGetsImmichNotFound) {
  RunningServer server(kNormalRoutes, {}, {});
  auto c = server.client();
  expect_error_shape(c.Get("/api/nope?token=secret"), 404, "Cannot GET /api/nope");
  expect_error_shape(c.Delete("/api/server/ping"), 404, "Cannot DELETE /api/server/ping");
}

TEST(HttpServer, HealthReportsMissingDatabase) {
  RunningServer server(kNormalRoutes, {}, {});
  auto res = server.client().Get("/api/server/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(parse(res)["database"], false);
}

RouteTable guarded_table() {
  RouteTable t;
  auto who = [](RequestContext& ctx) {
    send_json(ctx.response(), {{"id", ctx.user().id}, {"isAdmin", ctx.user().is_admin}});
  };
  t.get("/open", {Access::kPublic}, [](RequestContext& ctx) {
    send_json(ctx.response(), {{"user", ctx.maybe_user() ? ctx.maybe_user()->id : ""}});
  });
  t.get("/me", {Access::kAuthenticated}, who);
  t.get("/admin", {Access::kAdmin}, who);
  t.get("/download", {Access::kAuthenticated, "backup.download"}, who);
  t.get("/delete", {Access::kAuthenticated, "backup.delete"}, who);
  return t;
}

TEST(HttpServer, AccessLevelsAndPermissions) {
  RunningServer server(guarded_table(), fixed_authenticator);
  auto c = server.client();
  expect_error_shape(c.Get("/me"), 401, "Authentication required");
  expect_error_shape(c.Get("/me", {{"Authorization", "Bearer wrong"}}), 401, "Invalid user token");
  auto me = c.Get("/me", {{"Authorization", "Bearer admin-token"}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(parse(me)["id"], "u1");
  auto by_cookie = c.Get("/admin", {{"Cookie", "other=1; immich_access_token=admin-token"}});
  ASSERT_TRUE(by_cookie);
  EXPECT_EQ(by_cookie->status, 200);
  expect_error_shape(c.Get("/admin", {{"x-api-key", "reader-key"}}), 403, "Forbidden");
  EXPECT_EQ(c.Get("/download", {{"x-api-key", "reader-key"}})->status, 200);
  expect_error_shape(c.Get("/delete", {{"x-api-key", "reader-key"}}), 403,
                     "Missing required permission: backup.delete");
  EXPECT_EQ(c.Get("/delete", {{"Authorization", "Bearer admin-token"}})->status, 200);
  // A public route ignores bad credentials and sees good ones.
  EXPECT_EQ(parse(c.Get("/open", {{"x-api-key", "bad"}}))["user"], "");
  EXPECT_EQ(parse(c.Get("/open", {{"x-api-key", "reader-key"}}))["user"], "u2");
}

TEST(HttpServer, ErrorsBecomeImmichShapeAndPathParamsMatch) {
  RouteTable t;
  t.get("/items/:id", {Access::kPublic}, [](RequestContext& ctx) {
    if (ctx.path_param("id") == "bad") throw Error(ErrorKind::kInvalidArgument, "Bad id", "hint");
    if (ctx.path_param("id") == "boom") throw std::runtime_error("secret detail");
    send_json(ctx.response(), {{"id", ctx.path_param("id")}});
  });
  t.get("/items/special", {Access::kPublic},
        [](RequestContext& ctx) { send_json(ctx.response(), {{"special", true}}); });
  RunningServer server(std::move(t));
  auto c = server.client();
  EXPECT_EQ(parse(c.Get("/items/a%20b"))["id"], "a b");
  EXPECT_EQ(parse(c.Get("/items/special"))["special"], true);
  expect_error_shape(c.Get("/items/bad"), 400, "Bad id");
  expect_error_shape(c.Get("/items/boom"), 500, "Internal server error");
  expect_error_shape(c.Get("/items"), 404, "Cannot GET /items");
}

TEST(HttpServer, JsonBodiesAreBufferedWithALimit) {
  RouteTable t;
  t.post("/echo", {Access::kPublic, "", BodyMode::kBuffered, 64},
         [](RequestContext& ctx) { send_json(ctx.response(), ctx.json_body(), 201); });
  RunningServer server(std::move(t));
  auto c = server.client();
  auto ok = c.Post("/echo", R"({"a":1})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
  EXPECT_EQ(parse(ok)["a"], 1);
  expect_error_shape(c.Post("/echo", "{not json", "application/json"), 400, "Invalid JSON body");
  std::string big = R"({"a":")" + std::string(200, 'x') + R"("})";
  expect_error_shape(c.Post("/echo", big, "application/json"), 413, "Request body too large");
}

TEST(HttpServer, StreamedMultipartUploadIsWrittenToDisk) {
  keepsake::testing::TempDir dir;
  std::string target = dir.path() + "/upload.bin";
  RouteTable t;
  t.post("/upload", {Access::kPublic, "", BodyMode::kStreamed}, [&](RequestContext& ctx) {
    auto file = receive_file(ctx, "file", target);
    send_json(ctx.response(), {{"name", file.filename}, {"bytes", file.bytes}}, 201);
  });
  RunningServer server(std::move(t));
  std::string payload(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 % 251);
  httplib::MultipartFormDataItems items = {{"note", "hello", "", "text/plain"},
                                           {"file", payload, "dump.sql.gz", "application/gzip"}};
  auto c = server.client();
  auto res = c.Post("/upload", items);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(parse(res)["name"], "dump.sql.gz");
  EXPECT_EQ(parse(res)["bytes"], payload.size());
  std::ifstream in(target, std::ios::binary);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, payload);
  // Missing field: clear error, nothing left behind.
  httplib::MultipartFormDataItems wrong = {{"other", "x", "a.txt", "text/plain"}};
  expect_error_shape(c.Post("/upload", wrong), 400, "Missing multipart field 'file'");
  EXPECT_FALSE(std::filesystem::exists(target + ".part"));
}

// Issue 20: a streamed route refused before it read its multipart body answered 500 (draining
// the body through the plain reader threw outside the handler's error handling).
TEST(HttpServer, RefusedStreamedMultipartRequestsKeepTheirAnswer) {
  RouteTable t;
  t.post("/upload", {Access::kAdmin, "", BodyMode::kStreamed},
         [](RequestContext& ctx) { send_json(ctx.response(), json::object(), 201); });
  t.post("/busy", {Access::kPublic, "", BodyMode::kStreamed},
         [](RequestContext&) { throw Error(ErrorKind::kConflict, "busy"); });
  RunningServer server(std::move(t), fixed_authenticator);
  auto c = server.client();
  httplib::MultipartFormDataItems items = {{"file", std::string(100000, 'x'), "a.sql", "application/sql"}};
  expect_error_shape(c.Post("/upload", items), 401, "Authentication required");
  expect_error_shape(c.Post("/busy", items), 409, "busy");
  expect_error_shape(c.Post("/busy", "no boundary", "multipart/form-data"), 409, "busy");
  expect_error_shape(c.Post("/busy", "--b\r\nbroken", "multipart/form-data; boundary=b"), 409, "busy");
}

TEST(HttpServer, RequestsCanBeServedFromMemory) {
  Server server({}, {}, fixed_authenticator);
  server.switch_to(kNormalRoutes);
  std::string ping = server.serve_in_memory("GET /api/server/ping HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ping.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ping;
  EXPECT_NE(ping.find(R"({"res":"pong"})"), std::string::npos) << ping;
  std::string missing = server.serve_in_memory("GET /api/nope HTTP/1.1\r\n\r\n");
  EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0u) << missing;
  EXPECT_EQ(server.serve_in_memory(""), "");
}

// Found by the upload fuzz target (fuzz/corpus/upload/crash-invalid-utf8-path): a path that is not
// UTF-8 is echoed in the 404 message, and writing that JSON threw: the answer was a 500.
TEST(HttpServer, APathThatIsNotUtf8IsA404) {
  Server server({}, {}, fixed_authenticator);
  server.switch_to(kNormalRoutes);
  std::string response = server.serve_in_memory("POST /api/\xf3\xf3/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
  EXPECT_NE(response.find("\"message\":\"Cannot POST /api/\xef\xbf\xbd\xef\xbf\xbd/x\""), std::string::npos)
      << response;
}

TEST(HttpServer, FilesAreStreamedWithRanges) {
  keepsake::testing::TempDir dir;
  std::string path = dir.path() + "/data.bin";
  std::string content;
  for (int i = 0; i < 200000; ++i) content.push_back(static_cast<char>('a' + i % 26));
  std::ofstream(path, std::ios::binary) << content;
  RouteTable t;
  t.get("/files/:name", {Access::kPublic}, [&](RequestContext& ctx) {
    send_file(ctx, dir.path() + "/" + ctx.path_param("name"),
              {.content_type = "application/gzip", .download_name = "data.bin"});
  });
  RunningServer server(std::move(t));
  auto c = server.client();
  auto whole = c.Get("/files/data.bin");
  ASSERT_TRUE(whole) << httplib::to_string(whole.error());
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->body, content);
  EXPECT_EQ(whole->get_header_value("Content-Type"), "application/gzip");
  auto part = c.Get("/files/data.bin", {{"Range", "bytes=100000-100009"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, content.substr(100000, 10));
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 100000-100009/200000");
  auto tail = c.Get("/files/data.bin", {{"Range", "bytes=-5"}});
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->body, content.substr(content.size() - 5));
  auto beyond = c.Get("/files/data.bin", {{"Range", "bytes=300000-"}});
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->status, 416);
  expect_error_shape(c.Get("/files/missing.bin"), 404, "File not found");
}

TEST(HttpServer, RouteTableSwapsAtRunTime) {
  RunningServer server(kNormalRoutes, {}, {});
  auto c = server.client();
  EXPECT_EQ(parse(c.Get("/api/server/config"))["maintenanceMode"], false);
  server.server().switch_to(kMaintenanceRoutes);
  EXPECT_EQ(server.server().current_route_set(), "maintenance");
  EXPECT_EQ(parse(c.Get("/api/server/config")), json({{"maintenanceMode", true}}));
  EXPECT_EQ(parse(c.Get("/api/server/ping"))["res"], "pong");
  server.server().switch_to(kNormalRoutes);
  EXPECT_EQ(parse(c.Get("/api/server/config"))["maintenanceMode"], false);
}

TEST(HttpServer, DuplicateRouteIsRejected) {
  RouteTable t;
  t.get("/x", {Access::kPublic}, [](RequestContext&) {});
  EXPECT_THROW(t.get("/x", {Access::kPublic}, [](RequestContext&) {}), Error);
}

}  // namespace
}  // namespace keepsake::http
