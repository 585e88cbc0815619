// Every route's JSON body (src/http/request_context json_body + src/http/request_bodies): any
// bytes as a request body are either read by each route's reader or refused with
// keepsake::Error (a 400/401 answer); never another exception (a 500) nor undefined behaviour.
#include <httplib.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "http/request_bodies.h"
#include "http/request_context.h"

namespace {

using namespace keepsake::http;
using Reader = std::function<void(const nlohmann::json&)>;

const std::vector<Reader>& readers() {
  static const std::vector<Reader> all = {
      [](const nlohmann::json& b) { (void)read_login_body(b); },
      [](const nlohmann::json& b) { (void)read_sign_up_body(b); },
      [](const nlohmann::json& b) { (void)read_api_key_create_body(b); },
      [](const nlohmann::json& b) { (void)read_api_key_update_body(b); },
      [](const nlohmann::json& b) { (void)read_backup_delete_body(b); },
      [](const nlohmann::json& b) { (void)read_string_field_body(b, "name"); },
      [](const nlohmann::json& b) { (void)read_string_field_body(b, "command"); },
      [](const nlohmann::json& b) { (void)read_maintenance_action_body(b); },
      [](const nlohmann::json& b) { (void)read_maintenance_login_body(b); },
      [](const nlohmann::json& b) {
        auto body = read_smart_search_body(b);
        if (body.embedding) {
          for (float f : *body.embedding) {
            if (!std::isfinite(f)) std::abort();
          }
        }
      },
  };
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  httplib::Request request;
  httplib::Response response;
  RequestContext ctx(request, response, {}, nullptr);
  ctx.set_body(std::string(reinterpret_cast<const char*>(data), size));
  nlohmann::json body;
  try {
    body = ctx.json_body();
  } catch (const keepsake::Error&) {
    return 0;
  }
  for (const auto& read : readers()) {
    try {
      read(body);
    } catch (const keepsake::Error&) {
    }
  }
  return 0;
}
