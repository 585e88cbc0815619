// One HTTP request as a route handler sees it: the httplib request and response, the path
// parameters, the authenticated user, and the body (buffered for JSON routes, or a stream for
// uploads). Never keeps a whole streamed body in memory.
#pragma once

#include <httplib.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/auth_user.h"

namespace keepsake::http {

// Receives one chunk of a streamed body; return false to abort the upload.
using ChunkSink = std::function<bool(const char* data, size_t length)>;
// Called at the start of each multipart part (name, filename, content_type); false aborts.
using PartHeaderSink = std::function<bool(const httplib::MultipartFormData& part)>;

class RequestContext {
 public:
  RequestContext(const httplib::Request& request, httplib::Response& response,
                 std::map<std::string, std::string> path_params,
                 const httplib::ContentReader* reader);

  const httplib::Request& request() const { return request_; }
  httplib::Response& response() { return response_; }

  // A ":name" segment of the route pattern; throws kInvalidArgument when absent.
  const std::string& path_param(const std::string& name) const;
  // A query parameter, or nullopt.
  std::optional<std::string> query(const std::string& name) const;
  std::string header(const std::string& name) const { return request_.get_header_value(name); }
  // The peer's IP address (the rate limiter's key).
  const std::string& client_address() const { return request_.remote_addr; }

  // The authenticated user; throws kUnauthorized on a public route without credentials.
  const auth::AuthUser& user() const;
  const std::optional<auth::AuthUser>& maybe_user() const { return user_; }
  void set_user(auth::AuthUser user) { user_ = std::move(user); }

  // Buffered bodies (routes with BodyMode::kBuffered): the raw text, or parsed as JSON
  // (kInvalidArgument "Invalid JSON body" when it is not an object/array).
  const std::string& body() const { return body_; }
  nlohmann::json json_body() const;

  // Streamed bodies (BodyMode::kStreamed): each chunk as it arrives. Returns false when the
  // client went away or a sink returned false. Call at most once.
  bool read_body(const ChunkSink& sink);
  // Streamed multipart/form-data: part headers and their data chunks as they arrive.
  bool read_multipart(const PartHeaderSink& on_part, const ChunkSink& on_data);
  bool body_consumed() const { return body_consumed_; }
  bool is_multipart() const { return request_.is_multipart_form_data(); }

  // Used by the server before the handler runs.
  void set_body(std::string body) { body_ = std::move(body); }
  const httplib::ContentReader* reader() const { return reader_; }

 private:
  const httplib::Request& request_;
  httplib::Response& response_;
  std::map<std::string, std::string> path_params_;
  const httplib::ContentReader* reader_;
  std::optional<auth::AuthUser> user_;
  std::string body_;
  bool body_consumed_ = false;
};

}  // namespace keepsake::http
