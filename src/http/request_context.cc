#include "http/request_context.h"

#include "common/error.h"

namespace keepsake::http {

RequestContext::RequestContext(const httplib::Request& request, httplib::Response& response,
                               std::map<std::string, std::string> path_params,
                               const httplib::ContentReader* reader)
    : request_(request),
      response_(response),
      path_params_(std::move(path_params)),
      reader_(reader) {}

const std::string& RequestContext::path_param(const std::string& name) const {
  auto it = path_params_.find(name);
  if (it == path_params_.end()) {
    throw Error(ErrorKind::kInternal, "route has no path parameter '" + name + "'");
  }
  return it->second;
}

std::optional<std::string> RequestContext::query(const std::string& name) const {
  if (!request_.has_param(name)) return std::nullopt;
  return request_.get_param_value(name);
}

const auth::AuthUser& RequestContext::user() const {
  if (!user_) throw Error(ErrorKind::kUnauthorized, "Authentication required");
  return *user_;
}

nlohmann::json RequestContext::json_body() const {
  if (body_.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(body_, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !(parsed.is_object() || parsed.is_array())) {
    throw Error(ErrorKind::kInvalidArgument, "Invalid JSON body",
                "send a JSON object with Content-Type: application/json");
  }
  return parsed;
}

bool RequestContext::read_body(const ChunkSink& sink) {
  if (body_consumed_) throw Error(ErrorKind::kInternal, "request body read twice");
  body_consumed_ = true;
  if (!reader_) return sink(body_.data(), body_.size());
  return (*reader_)([&](const char* data, size_t length) { return sink(data, length); });
}

bool RequestContext::read_multipart(const PartHeaderSink& on_part, const ChunkSink& on_data) {
  if (body_consumed_) throw Error(ErrorKind::kInternal, "request body read twice");
  if (!reader_ || !is_multipart()) {
    throw Error(ErrorKind::kInvalidArgument, "Expected a multipart/form-data upload");
  }
  body_consumed_ = true;
  return (*reader_)([&](const httplib::MultipartFormData& part) { return on_part(part); },
                    [&](const char* data, size_t length) { return on_data(data, length); });
}

}  // namespace keepsake::http
