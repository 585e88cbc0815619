// Writing HTTP responses the way Immich does: JSON bodies, errors as
// {"message": ..., "error": "Bad Request", "statusCode": 400}, cookies, and files streamed from
// disk with Range support. Never loads a whole file into memory; never puts secrets in errors.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "http/request_context.h"

namespace keepsake::http {

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
// 204 without a body (Immich's answer for most DELETEs).
void send_no_content(httplib::Response& res);

// Immich's error shape with an explicit status (message may be a string or a list of strings).
nlohmann::json error_body(int status, const nlohmann::json& message);
void send_error(httplib::Response& res, int status, const nlohmann::json& message);
// keepsake::Error -> status via http_status_for; the message without the hint.
void send_error(httplib::Response& res, const Error& error);

struct CookieOptions {
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";
  long max_age_seconds = -1;  // -1: session cookie
  std::string path = "/";
};
// True when the client reached us over HTTPS (directly, or through a proxy that says so):
// cookies then get the Secure attribute.
bool request_is_secure(const RequestContext& ctx);
// Adds a Set-Cookie header (value must already be cookie-safe).
void set_cookie(httplib::Response& res, const std::string& name, const std::string& value,
                const CookieOptions& options);
// A cookie's value from the request's Cookie header(s), or "".
std::string cookie_value(const httplib::Request& req, const std::string& name);

struct FileOptions {
  std::string content_type = "application/octet-stream";
  std::string download_name;  // sets Content-Disposition: attachment when not empty
  std::string cache_control = "private, no-cache, no-transform";
};
// Streams a file in chunks (single byte ranges get 206 + Content-Range; an unsatisfiable range
// gets 416). Throws kNotFound when the file cannot be opened.
void send_file(RequestContext& ctx, const std::string& path, const FileOptions& options);

struct ReceivedFile {
  std::string filename;  // as the client named it (untrusted: validate before using it)
  uint64_t bytes = 0;
};
// Writes the multipart field `field` of a streamed upload to `destination` as it arrives (via
// destination + ".part", fsync, rename). Other fields are skipped. Throws kInvalidArgument when
// the field is missing or the upload is cut short; the partial file is removed. Errors never name
// the destination.
ReceivedFile receive_file(RequestContext& ctx, const std::string& field,
                          const std::string& destination);

}  // namespace keepsake::http
