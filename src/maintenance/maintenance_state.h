// Immich's maintenance-mode record (spec §6.1) in system_metadata['maintenance-mode']:
// active {"isMaintenanceMode": true, "secret": "<128 hex>", "action": {"action": ..., "restoreBackupFilename"?}},
// (Keepsake's point-in-time restores put restoreToTime / restoreToRestorePoint / restoreToLatest
// in "action" instead of restoreBackupFilename),
// inactive {"isMaintenanceMode": false} (a missing row, or a missing table, means the same).
// Every write also sends NOTIFY keepsake_maintenance so other Keepsake instances switch at once.
// Holds no policy: what a change means is the maintenance service's business.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "db/connection.h"
#include "pitr/pitr.h"

namespace keepsake::maintenance {

inline constexpr const char* kMaintenanceChannel = "keepsake_maintenance";

enum class MaintenanceAction { kStart, kEnd, kSelectDatabaseRestore, kRestoreDatabase };

const char* action_name(MaintenanceAction action);  // "start", "end", "select_database_restore", ...
std::optional<MaintenanceAction> parse_action(const std::string& name);

struct MaintenanceState {
  bool active = false;
  std::string secret;  // 128 hex characters (64 random bytes) while active
  MaintenanceAction action = MaintenanceAction::kStart;
  std::string restore_filename;  // restore_database only
  // restore_database to a point in time instead of a file (Keepsake's extension, stored beside
  // "action" as restoreToTime / restoreToRestorePoint / restoreToLatest).
  std::optional<pitr::RecoveryTarget> restore_to;

  nlohmann::json to_json() const;
  static MaintenanceState from_json(const nlohmann::json& value);
};

// 64 random bytes as 128 lower-case hex characters.
std::string new_maintenance_secret();

MaintenanceState read_maintenance_state(db::Connection& conn);
// Upserts the record and notifies the other instances (in the same transaction when one is open).
void write_maintenance_state(db::Connection& conn, const MaintenanceState& state);

}  // namespace keepsake::maintenance
