// Keepsake's own settings, which have no Immich counterpart: system_metadata['keepsake-config'],
// stored as differences from Keepsake's defaults like Immich's 'system-config'. They are kept
// apart from 'system-config' on purpose: Immich rebuilds 'system-config' from its own settings
// form on every save (whitelisted DTO), which would silently drop keys it does not know.
// Travelling in system_metadata, they go with every database backup and restore.
// Must never hold a business rule of the modules that read it (pitr, files).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "db/connection.h"

namespace keepsake::config {

const nlohmann::json& keepsake_settings_defaults();

// Throws Error(kInvalidArgument) naming the first bad key (e.g. "pitr.recoveryWindowDays").
void validate_keepsake_settings(const nlohmann::json& full);

// The effective settings (stored overrides merged into the defaults); stored values that fail
// validation are logged and returned, readers re-check what they use.
nlohmann::json load_keepsake_settings(db::Connection& conn);

// Validates `full`, stores its differences from the defaults, returns the effective settings.
nlohmann::json save_keepsake_settings(db::Connection& conn, const nlohmann::json& full);

// Typed views.
struct PitrSettings {
  bool base_backup_enabled = true;
  std::string base_backup_cron = "0 03 * * 0";  // weekly, Sunday 03:00
  int recovery_window_days = 14;
  int lag_alert_seconds = 300;  // archive lag that counts as falling behind
};
PitrSettings pitr_settings(const nlohmann::json& full);

struct FilesBackupSettings {
  bool enabled = true;
  bool after_database_backup = true;         // run right after each scheduled database backup
  std::string cron_expression = "0 03 * * *";  // used when after_database_backup is false
  // Retention after each scheduled files backup: the last system-config keepLastAmount snapshots,
  // plus these calendar rules (0 = not used).
  int keep_daily = 0, keep_weekly = 0, keep_monthly = 0;
};
FilesBackupSettings files_backup_settings(const nlohmann::json& full);

// The scheduled `restic check` of every repository, reading a rotating subset of the packs' data.
struct FilesCheckSettings {
  bool enabled = true;
  std::string cron_expression = "0 05 * * 0";  // weekly, Sunday 05:00
  int full_read_days = 28;  // every pack's data is read once in this many days
};
FilesCheckSettings files_check_settings(const nlohmann::json& full);

struct StorageVerifySettings {
  bool enabled = true;
  std::string cron_expression = "0 04 * * *";  // a slice every night at 04:00
  int pass_days = 30;                          // each slice checks 1/passDays: a pass a month
  int max_mb_per_second = 50;                  // read throttle, 0 = unthrottled
};
StorageVerifySettings storage_verify_settings(const nlohmann::json& full);

}  // namespace keepsake::config
