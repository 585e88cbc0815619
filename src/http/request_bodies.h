// The JSON bodies of Keepsake's routes, each read by one pure function with Immich's
// (class-validator) messages, so a route's handler and the fuzz target read a body the same way.
// Each throws keepsake::Error(kInvalidArgument) for a body it refuses and never anything else;
// none echoes a value (it may be a password or a token).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "maintenance/maintenance_state.h"
#include "pitr/pitr.h"
#include "vector/search.h"

namespace keepsake::http {

// POST /api/auth/login: the e-mail lower-cased and trimmed, the password as sent.
struct LoginBody {
  std::string email, password;
};
LoginBody read_login_body(const nlohmann::json& body);

// POST /api/auth/admin-sign-up.
struct SignUpBody {
  std::string email, password, name;
};
SignUpBody read_sign_up_body(const nlohmann::json& body);

// POST /api/api-keys (permissions required) and PUT /api/api-keys/:id (both optional).
struct ApiKeyBody {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> permissions;
};
ApiKeyBody read_api_key_create_body(const nlohmann::json& body);
ApiKeyBody read_api_key_update_body(const nlohmann::json& body);

// DELETE /api/admin/database-backups: the names (validated later, by the backup module).
std::vector<std::string> read_backup_delete_body(const nlohmann::json& body);

// POST /api/jobs (`name`) and PUT /api/jobs/:name (`command`): the one string field.
std::string read_string_field_body(const nlohmann::json& body, const char* field);

// PUT /api/admin/backup-schedule: the three settings of backup.database (checked later by the
// system-config validation: the cron expression, a positive count).
struct BackupScheduleBody {
  bool enabled = true;
  std::string cron_expression;
  int keep_last_amount = 0;
};
BackupScheduleBody read_backup_schedule_body(const nlohmann::json& body);

// POST /api/admin/maintenance: the action's name and restoreBackupFilename, or instead (Keepsake's
// extension) exactly one of restoreToTime (ISO 8601), restoreToRestorePoint, restoreToLatest: true;
// or the list of class-validator messages (answered as a 400 with a message array).
struct MaintenanceActionBody {
  maintenance::MaintenanceAction action{};  // valid when problems is empty
  std::string filename;                     // restore_database only
  std::optional<pitr::RecoveryTarget> target;  // restore_database to a point in time
  std::vector<std::string> problems;
};
MaintenanceActionBody read_maintenance_action_body(const nlohmann::json& body);

// POST /api/admin/maintenance/login: the token field, if the body has one.
std::optional<std::string> read_maintenance_login_body(const nlohmann::json& body);

// POST /api/search/smart: the filters, and what to search with.
struct SmartSearchBody {
  vector::SmartSearchOptions options;
  std::optional<std::string> query, query_asset_id, language;
  std::optional<std::vector<float>> embedding;
};
SmartSearchBody read_smart_search_body(const nlohmann::json& body);

// An embedding: a JSON array of finite numbers that fit a float, or a string holding one
// (the machine-learning server's answer).
std::vector<float> read_embedding(const nlohmann::json& value);

}  // namespace keepsake::http
