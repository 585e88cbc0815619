// A raw HTTP request to the backup upload route, through Keepsake's real server (routing, the
// access check, cpp-httplib's multipart parser, the streamed upload, draining unread bodies),
// held in memory. Whatever the bytes, the answer is a well-formed HTTP response that is never a
// 5xx, a 4xx answer never names the server's part file, and nothing but a checked
// uploaded-<name> stays in the backups folder.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "fuzz_support.h"
#include "http/backup_upload.h"
#include "http/server.h"

namespace {

using namespace keepsake;
namespace fs = std::filesystem;

http::Server& server() {
  static http::Server* s = [] {
    spdlog::set_level(spdlog::level::off);
    auto* srv = new http::Server({}, {}, [](const auth::Credentials& c) {
      if (c.api_key != "k") throw Error(ErrorKind::kUnauthorized, "Invalid API key");
      auth::AuthUser u;
      u.id = "00000000-0000-0000-0000-000000000001";
      u.is_admin = true;
      u.permissions = {"all"};
      return u;
    });
    http::RouteTable table;
    http::RouteOptions options{http::Access::kAdmin, "backup.upload", http::BodyMode::kStreamed, 1 << 20};
    table.post("/api/admin/database-backups/upload", options, [](http::RequestContext& ctx) {
      http::receive_backup_upload(ctx, fuzz::scratch_dir() + "/backups", 1 << 20);
    });
    srv->set_routes(std::make_shared<const http::RouteTable>(std::move(table)), "fuzz");
    return srv;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string request(reinterpret_cast<const char*>(data), size);
  std::string response = server().serve_in_memory(request);
  const std::string folder = fuzz::scratch_dir() + "/backups";
  if (!response.empty()) {
    if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) std::abort();
    if (response[9] == '5') std::abort();
    // (unless the request itself holds them: a 404 names the path it could not route)
    for (const std::string& internal : {std::string(".upload-"), folder}) {
      if (request.find(internal) == std::string::npos && response.find(internal) != std::string::npos) std::abort();
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().filename().string().rfind("uploaded-", 0) != 0) std::abort();
  }
  fs::remove_all(folder, ec);
  return 0;
}
