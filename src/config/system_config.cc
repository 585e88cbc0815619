#include "config/system_config.h"

#include <regex>

#include "common/cron.h"
#include "common/error.h"
#include "common/log.h"
#include "db/system_metadata.h"

namespace keepsake::config {

using nlohmann::json;
using Pointer = json::json_pointer;

namespace {

const json kDefaults = json::parse(R"json({
  "backup": {"database": {"enabled": true, "cronExpression": "0 02 * * *", "keepLastAmount": 14}},
  "library": {"scan": {"enabled": true, "cronExpression": "0 0 * * *"}, "watch": {"enabled": false}},
  "logging": {"enabled": true, "level": "log"},
  "machineLearning": {
    "enabled": true,
    "clip": {"enabled": true, "modelName": "ViT-B-32__openai"},
    "duplicateDetection": {"enabled": true, "maxDistance": 0.01},
    "facialRecognition": {"enabled": true, "modelName": "buffalo_l", "minScore": 0.7,
                          "maxDistance": 0.5, "minFaces": 3}
  },
  "newVersionCheck": {"enabled": true},
  "nightlyTasks": {"startTime": "00:00", "databaseCleanup": true, "generateMemories": true,
                   "syncQuotaUsage": true, "missingThumbnails": true, "clusterNewFaces": true},
  "passwordLogin": {"enabled": true},
  "reverseGeocoding": {"enabled": true},
  "storageTemplate": {"enabled": false, "hashVerificationEnabled": true,
                      "template": "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}"},
  "trash": {"enabled": true, "days": 30},
  "user": {"deleteDelay": 7}
})json");

void collect_leaves(const json& j, const Pointer& prefix, std::vector<Pointer>& out) {
  if (j.is_object()) {
    for (auto& [key, value] : j.items()) collect_leaves(value, prefix / key, out);
    return;
  }
  out.push_back(prefix);
}

std::vector<Pointer> leaves(const json& j) {
  std::vector<Pointer> out;
  if (j.is_object()) collect_leaves(j, Pointer(), out);
  return out;
}

std::string dotted(const Pointer& p) {
  std::string s = p.to_string();
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) out += s[i] == '/' ? '.' : s[i];
  return out;
}

bool is_modelled_leaf(const Pointer& p) {
  return kDefaults.contains(p) && !kDefaults.at(p).is_object();
}

[[noreturn]] void invalid(const Pointer& p, const std::string& what) {
  throw Error(ErrorKind::kInvalidArgument,
              "Invalid system config: " + dotted(p) + " " + what,
              "fix the value in the admin settings (system_metadata 'system-config')");
}

const json& at(const json& full, const char* path) {
  Pointer p(path);
  if (!full.contains(p)) invalid(p, "is missing");
  return full.at(p);
}

bool get_bool(const json& full, const char* path) {
  const json& v = at(full, path);
  if (!v.is_boolean()) invalid(Pointer(path), "must be a boolean, got " + v.dump());
  return v.get<bool>();
}

int64_t get_int(const json& full, const char* path, int64_t min) {
  const json& v = at(full, path);
  if (!v.is_number_integer() || v.get<int64_t>() < min) {
    invalid(Pointer(path), "must be an integer of at least " + std::to_string(min) + ", got " + v.dump());
  }
  return v.get<int64_t>();
}

std::string get_string(const json& full, const char* path) {
  const json& v = at(full, path);
  if (!v.is_string()) invalid(Pointer(path), "must be a string, got " + v.dump());
  return v.get<std::string>();
}

void check_cron(const json& full, const char* enabled_path, const char* cron_path) {
  std::string expr = get_string(full, cron_path);
  if (!get_bool(full, enabled_path)) return;
  try {
    CronExpression::parse(expr);
  } catch (const Error& e) {
    invalid(Pointer(cron_path), std::string("is not a valid cron expression: ") + e.what());
  }
}

}  // namespace

const json& system_config_defaults() { return kDefaults; }

std::vector<std::string> leaf_paths(const json& object) {
  std::vector<std::string> out;
  for (auto& p : leaves(object)) out.push_back(dotted(p));
  return out;
}

json merge_with_defaults(const json& stored) {
  json result = kDefaults;
  for (auto& p : leaves(stored)) result[p] = stored.at(p);
  return result;
}

json diff_from_defaults(const json& full) {
  json partial = json::object();
  for (auto& p : leaves(full)) {
    const json& value = full.at(p);
    if (value.is_null() || (value.is_string() && value.get<std::string>().empty())) continue;
    if (is_modelled_leaf(p) && kDefaults.at(p) == value) continue;
    partial[p] = value;
  }
  return partial;
}

void validate_system_config(const json& full) {
  if (!full.is_object()) throw Error(ErrorKind::kInvalidArgument, "Invalid system config: not a JSON object");
  check_cron(full, "/backup/database/enabled", "/backup/database/cronExpression");
  get_int(full, "/backup/database/keepLastAmount", 1);
  check_cron(full, "/library/scan/enabled", "/library/scan/cronExpression");
  static const std::regex kHhMm("^([01][0-9]|2[0-3]):[0-5][0-9]$");
  if (!std::regex_match(get_string(full, "/nightlyTasks/startTime"), kHhMm)) {
    invalid(Pointer("/nightlyTasks/startTime"), "must be a time as HH:mm (00:00 to 23:59)");
  }
  for (const char* key : {"/nightlyTasks/databaseCleanup", "/nightlyTasks/generateMemories",
                          "/nightlyTasks/syncQuotaUsage", "/nightlyTasks/missingThumbnails",
                          "/nightlyTasks/clusterNewFaces", "/trash/enabled",
                          "/machineLearning/clip/enabled"}) {
    get_bool(full, key);
  }
  get_int(full, "/trash/days", 0);
  get_int(full, "/user/deleteDelay", 1);
  if (get_string(full, "/machineLearning/clip/modelName").empty()) {
    invalid(Pointer("/machineLearning/clip/modelName"), "must not be empty");
  }
}

json load_system_config(db::Connection& conn) {
  db::SystemMetadataRepository repo(conn);
  json stored = repo.get(db::metadata_key::kSystemConfig).value_or(json::object());
  if (!stored.is_object()) {
    spdlog::warn("system_metadata 'system-config' is not a JSON object; using Immich's defaults");
    stored = json::object();
  }
  json full = merge_with_defaults(stored);
  try {
    validate_system_config(full);
  } catch (const Error& e) {
    spdlog::error(std::string("stored system config is invalid: ") + e.what());
  }
  return full;
}

json save_system_config(db::Connection& conn, const json& full) {
  validate_system_config(full);
  db::SystemMetadataRepository(conn).upsert(db::metadata_key::kSystemConfig, diff_from_defaults(full));
  return load_system_config(conn);
}

DatabaseBackupSettings database_backup_settings(const json& full) {
  DatabaseBackupSettings s;
  s.enabled = get_bool(full, "/backup/database/enabled");
  s.cron_expression = get_string(full, "/backup/database/cronExpression");
  s.keep_last_amount = static_cast<int>(get_int(full, "/backup/database/keepLastAmount", 1));
  return s;
}

NightlyTasksSettings nightly_tasks_settings(const json& full) {
  NightlyTasksSettings s;
  s.start_time = get_string(full, "/nightlyTasks/startTime");
  s.database_cleanup = get_bool(full, "/nightlyTasks/databaseCleanup");
  s.generate_memories = get_bool(full, "/nightlyTasks/generateMemories");
  s.sync_quota_usage = get_bool(full, "/nightlyTasks/syncQuotaUsage");
  s.missing_thumbnails = get_bool(full, "/nightlyTasks/missingThumbnails");
  s.cluster_new_faces = get_bool(full, "/nightlyTasks/clusterNewFaces");
  return s;
}

TrashSettings trash_settings(const json& full) {
  return {get_bool(full, "/trash/enabled"), static_cast<int>(get_int(full, "/trash/days", 0))};
}

int user_delete_delay_days(const json& full) {
  return static_cast<int>(get_int(full, "/user/deleteDelay", 1));
}

ClipSettings clip_settings(const json& full) {
  return {get_bool(full, "/machineLearning/clip/enabled"),
          get_string(full, "/machineLearning/clip/modelName")};
}

}  // namespace keepsake::config
