#include "maintenance/maintenance_state.h"

#include "auth/crypto.h"
#include "common/error.h"
#include "db/system_metadata.h"

namespace keepsake::maintenance {

const char* action_name(MaintenanceAction action) {
  switch (action) {
    case MaintenanceAction::kStart: return "start";
    case MaintenanceAction::kEnd: return "end";
    case MaintenanceAction::kSelectDatabaseRestore: return "select_database_restore";
    case MaintenanceAction::kRestoreDatabase: return "restore_database";
  }
  return "start";
}

std::optional<MaintenanceAction> parse_action(const std::string& name) {
  for (auto a : {MaintenanceAction::kStart, MaintenanceAction::kEnd, MaintenanceAction::kSelectDatabaseRestore,
                 MaintenanceAction::kRestoreDatabase}) {
    if (name == action_name(a)) return a;
  }
  return std::nullopt;
}

nlohmann::json MaintenanceState::to_json() const {
  if (!active) return {{"isMaintenanceMode", false}};
  nlohmann::json a = {{"action", action_name(action)}};
  if (!restore_filename.empty()) a["restoreBackupFilename"] = restore_filename;
  if (restore_to) a.update(pitr::target_json(*restore_to));
  return {{"isMaintenanceMode", true}, {"secret", secret}, {"action", a}};
}

MaintenanceState MaintenanceState::from_json(const nlohmann::json& v) {
  MaintenanceState s;
  if (!v.is_object() || !v.value("isMaintenanceMode", false)) return s;
  s.active = true;
  s.secret = v.value("secret", "");
  if (v.contains("action") && v["action"].is_object()) {
    s.action = parse_action(v["action"].value("action", "start")).value_or(MaintenanceAction::kStart);
    s.restore_filename = v["action"].value("restoreBackupFilename", "");
    try {
      s.restore_to = pitr::target_from_json(v["action"]);
    } catch (const Error&) {
      // A record Keepsake did not write: run_restore reports the missing file name.
    }
  }
  return s;
}

std::string new_maintenance_secret() { return auth::to_hex(auth::random_bytes(64)); }

MaintenanceState read_maintenance_state(db::Connection& conn) {
  try {
    auto value = db::SystemMetadataRepository(conn).get(db::metadata_key::kMaintenanceMode);
    return value ? MaintenanceState::from_json(*value) : MaintenanceState{};
  } catch (const Error& e) {
    if (e.sqlstate() == "42P01") return {};  // no system_metadata table yet: not in maintenance
    throw;
  }
}

void write_maintenance_state(db::Connection& conn, const MaintenanceState& state) {
  db::SystemMetadataRepository(conn).upsert(db::metadata_key::kMaintenanceMode, state.to_json());
  conn.exec("SELECT pg_notify($1, $2)", {kMaintenanceChannel, state.active ? "on" : "off"},
            "tell the other instances");
}

}  // namespace keepsake::maintenance
