#include "config/system_config.h"

#include <regex>

#include "common/error.h"
#include "config/settings_document.h"
#include "db/system_metadata.h"

namespace keepsake::config {

using nlohmann::json;

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

const SettingsDocument& document() {
  static const SettingsDocument doc(kDefaults, "system config", db::metadata_key::kSystemConfig,
                                    "the admin settings (system_metadata 'system-config')",
                                    validate_system_config);
  return doc;
}

}  // namespace

const json& system_config_defaults() { return kDefaults; }

json merge_with_defaults(const json& stored) { return document().merge(stored); }

json diff_from_defaults(const json& full) { return document().diff(full); }

void validate_system_config(const json& full) {
  if (!full.is_object()) throw Error(ErrorKind::kInvalidArgument, "Invalid system config: not a JSON object");
  const auto& d = document();
  d.check_cron(full, "/backup/database/enabled", "/backup/database/cronExpression");
  d.get_int(full, "/backup/database/keepLastAmount", 1);
  d.check_cron(full, "/library/scan/enabled", "/library/scan/cronExpression");
  static const std::regex kHhMm("^([01][0-9]|2[0-3]):[0-5][0-9]$");
  if (!std::regex_match(d.get_string(full, "/nightlyTasks/startTime"), kHhMm)) {
    d.invalid("/nightlyTasks/startTime", "must be a time as HH:mm (00:00 to 23:59)");
  }
  for (const char* key : {"/nightlyTasks/databaseCleanup", "/nightlyTasks/generateMemories",
                          "/nightlyTasks/syncQuotaUsage", "/nightlyTasks/missingThumbnails",
                          "/nightlyTasks/clusterNewFaces", "/trash/enabled",
                          "/machineLearning/clip/enabled"}) {
    d.get_bool(full, key);
  }
  d.get_int(full, "/trash/days", 0);
  d.get_int(full, "/user/deleteDelay", 1);
  if (d.get_string(full, "/machineLearning/clip/modelName").empty()) {
    d.invalid("/machineLearning/clip/modelName", "must not be empty");
  }
}

json load_system_config(db::Connection& conn) { return document().load(conn); }

json save_system_config(db::Connection& conn, const json& full) { return document().save(conn, full); }

DatabaseBackupSettings database_backup_settings(const json& full) {
  const auto& d = document();
  DatabaseBackupSettings s;
  s.enabled = d.get_bool(full, "/backup/database/enabled");
  s.cron_expression = d.get_string(full, "/backup/database/cronExpression");
  s.keep_last_amount = static_cast<int>(d.get_int(full, "/backup/database/keepLastAmount", 1));
  return s;
}

NightlyTasksSettings nightly_tasks_settings(const json& full) {
  const auto& d = document();
  NightlyTasksSettings s;
  s.start_time = d.get_string(full, "/nightlyTasks/startTime");
  s.database_cleanup = d.get_bool(full, "/nightlyTasks/databaseCleanup");
  s.generate_memories = d.get_bool(full, "/nightlyTasks/generateMemories");
  s.sync_quota_usage = d.get_bool(full, "/nightlyTasks/syncQuotaUsage");
  s.missing_thumbnails = d.get_bool(full, "/nightlyTasks/missingThumbnails");
  s.cluster_new_faces = d.get_bool(full, "/nightlyTasks/clusterNewFaces");
  return s;
}

TrashSettings trash_settings(const json& full) {
  const auto& d = document();
  return {d.get_bool(full, "/trash/enabled"), static_cast<int>(d.get_int(full, "/trash/days", 0))};
}

int user_delete_delay_days(const json& full) {
  const auto& d = document();
  return static_cast<int>(d.get_int(full, "/user/deleteDelay", 1));
}

ClipSettings clip_settings(const json& full) {
  const auto& d = document();
  return {d.get_bool(full, "/machineLearning/clip/enabled"),
          d.get_string(full, "/machineLearning/clip/modelName")};
}

}  // namespace keepsake::config
