#include "http/json_input.h"

#include <regex>

#include "common/error.h"

namespace keepsake::http {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorKind::kInvalidArgument, message);
}

}  // namespace

std::string required_string(const nlohmann::json& body, const std::string& field,
                            bool allow_empty) {
  if (!body.is_object() || !body.contains(field) || !body[field].is_string()) {
    invalid(field + " must be a string");
  }
  std::string value = body[field];
  if (!allow_empty && value.empty()) invalid(field + " should not be empty");
  return value;
}

std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field) {
  if (!body.is_object() || !body.contains(field) || body[field].is_null()) return std::nullopt;
  if (!body[field].is_string()) invalid(field + " must be a string");
  return body[field].get<std::string>();
}

std::vector<std::string> string_array(const nlohmann::json& body, const std::string& field) {
  if (!body.is_object() || !body.contains(field) || !body[field].is_array()) {
    invalid(field + " must be an array");
  }
  std::vector<std::string> out;
  for (const auto& v : body[field]) {
    if (!v.is_string()) invalid("each value in " + field + " must be a string");
    out.push_back(v);
  }
  return out;
}

void require_uuid(const std::string& value, const std::string& field) {
  static const std::regex kUuid(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  if (!std::regex_match(value, kUuid)) invalid(field + " must be a UUID");
}

}  // namespace keepsake::http
