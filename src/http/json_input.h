// Reading fields of a JSON request body with Immich's (class-validator) messages:
// "email must be a string", "name should not be empty", "permissions must be an array".
// Throws keepsake::Error(kInvalidArgument); never echoes the value (it may be a password).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace keepsake::http {

std::string required_string(const nlohmann::json& body, const std::string& field,
                            bool allow_empty = false);
std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field);
std::vector<std::string> string_array(const nlohmann::json& body, const std::string& field);
// Immich's UUID check on path parameters ("id must be a UUID").
void require_uuid(const std::string& value, const std::string& field);

}  // namespace keepsake::http
