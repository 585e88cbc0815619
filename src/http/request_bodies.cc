#include "http/request_bodies.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "http/json_input.h"

namespace keepsake::http {
namespace {

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorKind::kInvalidArgument, message); }

std::string lower_trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s.erase(0, start);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has(const nlohmann::json& body, const char* field) {
  return body.is_object() && body.contains(field) && !body[field].is_null();
}

std::optional<bool> optional_bool(const nlohmann::json& body, const char* field) {
  if (!has(body, field)) return std::nullopt;
  if (!body[field].is_boolean()) invalid(std::string(field) + " must be a boolean value");
  return body[field].get<bool>();
}

int optional_int(const nlohmann::json& body, const char* field, int fallback, int min, int max) {
  if (!has(body, field)) return fallback;
  const auto& v = body[field];
  bool in_range = v.is_number_integer() &&
                  (v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(max)
                                          : v.get<int64_t>() >= min && v.get<int64_t>() <= max);
  if (!in_range) {
    invalid(std::string(field) + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int>(v.get<int64_t>());
}

std::optional<vector::NullableText> nullable_text(const nlohmann::json& body, const char* field) {
  if (!body.is_object() || !body.contains(field)) return std::nullopt;
  if (body[field].is_null()) return vector::NullableText{};
  if (!body[field].is_string()) invalid(std::string(field) + " must be a string");
  return vector::NullableText{body[field].get<std::string>()};
}

std::vector<std::string> uuid_array(const nlohmann::json& body, const char* field) {
  if (!has(body, field)) return {};
  auto ids = string_array(body, field);
  for (const auto& id : ids) require_uuid(id, "each value");
  return ids;
}

vector::SmartSearchOptions read_search_filters(const nlohmann::json& body) {
  vector::SmartSearchOptions o;
  if (auto v = optional_string(body, "visibility")) {
    if (*v != "archive" && *v != "timeline" && *v != "hidden" && *v != "locked") {
      invalid("visibility must be one of the following values: archive, timeline, hidden, locked");
    }
    o.visibility = *v;
  }
  o.with_deleted = optional_bool(body, "withDeleted").value_or(false);
  o.type = optional_string(body, "type");
  o.is_favorite = optional_bool(body, "isFavorite");
  o.taken_before = optional_string(body, "takenBefore");
  o.taken_after = optional_string(body, "takenAfter");
  o.created_before = optional_string(body, "createdBefore");
  o.created_after = optional_string(body, "createdAfter");
  o.make = nullable_text(body, "make");
  o.model = nullable_text(body, "model");
  o.lens_model = nullable_text(body, "lensModel");
  o.city = nullable_text(body, "city");
  o.state = nullable_text(body, "state");
  o.country = nullable_text(body, "country");
  if (has(body, "rating")) o.rating = optional_int(body, "rating", 0, -1, 5);
  o.album_ids = uuid_array(body, "albumIds");
  o.person_ids = uuid_array(body, "personIds");
  o.tag_ids = uuid_array(body, "tagIds");
  o.page = optional_int(body, "page", 1, 1, 1000000);
  o.size = optional_int(body, "size", 100, 1, 1000);
  return o;
}

}  // namespace

LoginBody read_login_body(const nlohmann::json& body) {
  LoginBody b;
  b.email = lower_trimmed(required_string(body, "email"));
  b.password = required_string(body, "password");
  return b;
}

SignUpBody read_sign_up_body(const nlohmann::json& body) {
  SignUpBody b;
  b.email = lower_trimmed(required_string(body, "email"));
  b.password = required_string(body, "password");
  b.name = required_string(body, "name");
  return b;
}

ApiKeyBody read_api_key_create_body(const nlohmann::json& body) {
  return {optional_string(body, "name"), string_array(body, "permissions")};
}

ApiKeyBody read_api_key_update_body(const nlohmann::json& body) {
  ApiKeyBody b{optional_string(body, "name"), std::nullopt};
  if (body.is_object() && body.contains("permissions")) b.permissions = string_array(body, "permissions");
  return b;
}

std::vector<std::string> read_backup_delete_body(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("backups") || !body["backups"].is_array()) {
    invalid("backups must be an array");
  }
  std::vector<std::string> names;
  for (const auto& n : body["backups"]) {
    if (!n.is_string()) invalid("Invalid backup name!");
    names.push_back(n.get<std::string>());
  }
  return names;
}

std::string read_string_field_body(const nlohmann::json& body, const char* field) {
  if (!body.is_object() || !body.contains(field) || !body[field].is_string()) {
    invalid(std::string(field) + " must be a string");
  }
  return body[field].get<std::string>();
}

constexpr int64_t kMaxKeepLast = 10000;

BackupScheduleBody read_backup_schedule_body(const nlohmann::json& body) {
  if (!body.is_object()) invalid("the body must be a JSON object");
  if (!body.contains("enabled") || !body["enabled"].is_boolean()) invalid("enabled must be a boolean value");
  if (!body.contains("keepLastAmount") || !body["keepLastAmount"].is_number_integer() ||
      body["keepLastAmount"].get<int64_t>() < 1 || body["keepLastAmount"].get<int64_t>() > kMaxKeepLast) {
    invalid("keepLastAmount must be a whole number from 1 to " + std::to_string(kMaxKeepLast));
  }
  return {body["enabled"].get<bool>(), read_string_field_body(body, "cronExpression"),
          static_cast<int>(body["keepLastAmount"].get<int64_t>())};
}

MaintenanceActionBody read_maintenance_action_body(const nlohmann::json& body) {
  MaintenanceActionBody b;
  std::optional<maintenance::MaintenanceAction> action;
  if (body.is_object() && body.contains("action") && body["action"].is_string()) {
    action = maintenance::parse_action(body["action"].get<std::string>());
  }
  if (!action) {
    b.problems.push_back(
        "action must be one of the following values: start, end, select_database_restore, restore_database");
    return b;
  }
  b.action = *action;
  if (b.action != maintenance::MaintenanceAction::kRestoreDatabase) return b;
  try {
    b.target = pitr::target_from_json(body);
  } catch (const Error& e) {
    b.problems.push_back(e.what());
    return b;
  }
  if (b.target && body.contains("restoreBackupFilename")) {
    b.problems.push_back("give either restoreBackupFilename or one of restoreToTime, restoreToRestorePoint, restoreToLatest");
  }
  if (!b.target) {
    auto f = body.contains("restoreBackupFilename") ? body["restoreBackupFilename"] : nlohmann::json();
    if (!f.is_string()) b.problems.push_back("restoreBackupFilename must be a string");
    if (!f.is_string() || f.get<std::string>().empty()) b.problems.push_back("restoreBackupFilename should not be empty");
    if (f.is_string()) b.filename = f.get<std::string>();
  }
  return b;
}

std::optional<std::string> read_maintenance_login_body(const nlohmann::json& body) {
  if (body.is_object() && body.contains("token") && body["token"].is_string()) return body["token"].get<std::string>();
  return std::nullopt;
}

SmartSearchBody read_smart_search_body(const nlohmann::json& body) {
  SmartSearchBody b;
  b.options = read_search_filters(body);
  b.query = optional_string(body, "query");
  b.query_asset_id = optional_string(body, "queryAssetId");
  b.language = optional_string(body, "language");
  if (has(body, "embedding")) b.embedding = read_embedding(body["embedding"]);
  return b;
}

std::vector<float> read_embedding(const nlohmann::json& value) {
  constexpr const char* kMessage = "embedding must be an array of numbers";
  if (value.is_string()) {
    auto inner = nlohmann::json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (!inner.is_array()) invalid(kMessage);
    return read_embedding(inner);
  }
  if (!value.is_array()) invalid(kMessage);
  std::vector<float> out;
  out.reserve(value.size());
  for (const auto& x : value) {
    if (!x.is_number()) invalid(kMessage);
    double d = x.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) invalid(kMessage);
    out.push_back(static_cast<float>(d));
  }
  return out;
}

}  // namespace keepsake::http
