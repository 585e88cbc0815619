// Immich's admin settings, `system_metadata['system-config']`: a partial SystemConfig holding only
// the values that differ from Immich v2.7.5's defaults. Reading merges the stored overrides into
// the defaults (key by key, arrays as whole values, like Immich's buildConfig); writing stores only
// the differences, like Immich's updateConfig, but keeps stored keys Keepsake does not model so an
// Immich server sharing the database loses nothing. Validation (cron expressions, positive
// counts, HH:mm times) rejects a bad write before anything is stored.
// Must never hold a business rule of the modules that read it (backup, jobs, trash).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "config/settings_document.h"
#include "db/connection.h"

namespace keepsake::config {

// Immich v2.7.5's defaults for the keys Keepsake models.
const nlohmann::json& system_config_defaults();

// defaults ← stored overrides. Pure.
nlohmann::json merge_with_defaults(const nlohmann::json& stored);
// Only the leaves of `full` that differ from the defaults (null and "" count as unset). Pure.
nlohmann::json diff_from_defaults(const nlohmann::json& full);

// Throws Error(kInvalidArgument) naming the first bad key (e.g. "backup.database.cronExpression").
void validate_system_config(const nlohmann::json& full);

// The effective configuration (stored overrides merged into the defaults). Logs stored values that
// fail validation but still returns them, as Immich does; readers re-check what they use.
nlohmann::json load_system_config(db::Connection& conn);

// Validates `full`, then stores its differences from the defaults (plus stored keys Keepsake does
// not model). Returns the effective configuration afterwards.
nlohmann::json save_system_config(db::Connection& conn, const nlohmann::json& full);

// Typed views of the parts other modules use.
struct DatabaseBackupSettings {
  bool enabled = true;
  std::string cron_expression = "0 02 * * *";
  int keep_last_amount = 14;
};
DatabaseBackupSettings database_backup_settings(const nlohmann::json& full);

struct NightlyTasksSettings {
  std::string start_time = "00:00";
  bool database_cleanup = true;
  bool generate_memories = true;
  bool sync_quota_usage = true;
  bool missing_thumbnails = true;
  bool cluster_new_faces = true;
};
NightlyTasksSettings nightly_tasks_settings(const nlohmann::json& full);

struct TrashSettings {
  bool enabled = true;
  int days = 30;
};
TrashSettings trash_settings(const nlohmann::json& full);

// user.deleteDelay in days.
int user_delete_delay_days(const nlohmann::json& full);

struct ClipSettings {
  bool enabled = true;
  std::string model_name = "ViT-B-32__openai";
};
ClipSettings clip_settings(const nlohmann::json& full);

}  // namespace keepsake::config
