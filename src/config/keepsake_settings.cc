#include "config/keepsake_settings.h"

#include "common/error.h"
#include "config/settings_document.h"
#include "db/system_metadata.h"

namespace keepsake::config {

using nlohmann::json;

namespace {

const SettingsDocument& document() {
  static const SettingsDocument doc(json::parse(R"json({
    "pitr": {"baseBackup": {"enabled": true, "cronExpression": "0 03 * * 0"}, "recoveryWindowDays": 14, "lagAlertSeconds": 300},
    "files": {"backup": {"enabled": true, "afterDatabaseBackup": true, "cronExpression": "0 03 * * *"},
              "retention": {"keepDaily": 0, "keepWeekly": 0, "keepMonthly": 0},
              "check": {"enabled": true, "cronExpression": "0 05 * * 0", "fullReadDays": 28}},
    "storage": {"verify": {"enabled": true, "cronExpression": "0 04 * * *", "passDays": 30, "maxMbPerSecond": 50}}
  })json"),
                                    "Keepsake settings", db::metadata_key::kKeepsakeConfig,
                                    "Keepsake's settings (system_metadata 'keepsake-config')",
                                    validate_keepsake_settings);
  return doc;
}

}  // namespace

const json& keepsake_settings_defaults() { return document().defaults(); }

void validate_keepsake_settings(const json& full) {
  if (!full.is_object()) throw Error(ErrorKind::kInvalidArgument, "Invalid Keepsake settings: not a JSON object");
  pitr_settings(full);
  files_backup_settings(full);
  files_check_settings(full);
  storage_verify_settings(full);
}

json load_keepsake_settings(db::Connection& conn) { return document().load(conn); }

json save_keepsake_settings(db::Connection& conn, const json& full) { return document().save(conn, full); }

PitrSettings pitr_settings(const json& full) {
  const auto& d = document();
  d.check_cron(full, "/pitr/baseBackup/enabled", "/pitr/baseBackup/cronExpression");
  PitrSettings s;
  s.base_backup_enabled = d.get_bool(full, "/pitr/baseBackup/enabled");
  s.base_backup_cron = d.get_string(full, "/pitr/baseBackup/cronExpression");
  s.recovery_window_days = static_cast<int>(d.get_int(full, "/pitr/recoveryWindowDays", 1));
  s.lag_alert_seconds = static_cast<int>(d.get_int(full, "/pitr/lagAlertSeconds", 1));
  return s;
}

FilesBackupSettings files_backup_settings(const json& full) {
  const auto& d = document();
  d.check_cron(full, "/files/backup/enabled", "/files/backup/cronExpression");
  FilesBackupSettings s;
  s.enabled = d.get_bool(full, "/files/backup/enabled");
  s.after_database_backup = d.get_bool(full, "/files/backup/afterDatabaseBackup");
  s.cron_expression = d.get_string(full, "/files/backup/cronExpression");
  s.keep_daily = static_cast<int>(d.get_int(full, "/files/retention/keepDaily", 0));
  s.keep_weekly = static_cast<int>(d.get_int(full, "/files/retention/keepWeekly", 0));
  s.keep_monthly = static_cast<int>(d.get_int(full, "/files/retention/keepMonthly", 0));
  return s;
}

FilesCheckSettings files_check_settings(const json& full) {
  const auto& d = document();
  d.check_cron(full, "/files/check/enabled", "/files/check/cronExpression");
  FilesCheckSettings s;
  s.enabled = d.get_bool(full, "/files/check/enabled");
  s.cron_expression = d.get_string(full, "/files/check/cronExpression");
  s.full_read_days = static_cast<int>(d.get_int(full, "/files/check/fullReadDays", 1));
  return s;
}

StorageVerifySettings storage_verify_settings(const json& full) {
  const auto& d = document();
  d.check_cron(full, "/storage/verify/enabled", "/storage/verify/cronExpression");
  StorageVerifySettings s;
  s.enabled = d.get_bool(full, "/storage/verify/enabled");
  s.cron_expression = d.get_string(full, "/storage/verify/cronExpression");
  s.pass_days = static_cast<int>(d.get_int(full, "/storage/verify/passDays", 1));
  s.max_mb_per_second = static_cast<int>(d.get_int(full, "/storage/verify/maxMbPerSecond", 0));
  return s;
}

}  // namespace keepsake::config
