// Maintenance mode in a running Keepsake server (spec §6): which mode this instance is in, the
// status Immich's clients read, the login token, and the actions (start, end, restore_database).
//
// Every instance watches the record (LISTEN keepsake_maintenance, plus a read every second for
// writers that do not notify, such as Immich) and switches within a second through its
// MaintenanceHooks: the serve command then swaps its HTTP routes and stops or starts its normal
// services. A restore runs on the one instance that takes advisory lock 621 (MaintenanceOperation),
// in the background, reporting its progress in the status; success ends maintenance mode, failure
// leaves it on with the error in the status.
//
// CLI-side helpers (enable/disable) write the record directly; they need no running server.
// Must never run two restores at once and never hold a secret in a log line.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "config/config.h"
#include "immich/restart_channel.h"
#include "maintenance/maintenance_state.h"
#include "restore/restore_service.h"

namespace keepsake::maintenance {

struct MaintenanceStatus {
  bool active = false;
  std::string action = "end";
  std::optional<std::string> task;   // ready, backup, restore, migrations, swap, rollback, error
  std::optional<double> progress;
  std::optional<std::string> error;
  // The private status (for a verified maintenance token), or the public one, whose error is
  // replaced by "Something went wrong, see logs!".
  nlohmann::json to_json(bool full) const;
};

// What restore_database restores: a backup file, or the PITR archive to a target.
struct RestoreSource {
  std::string filename;
  std::optional<pitr::RecoveryTarget> target;
};

struct MaintenanceHooks {
  // Called (from the watcher thread) when this instance must change mode: true = enter
  // maintenance, false = leave it. Throwing while leaving keeps this instance in maintenance.
  std::function<void(bool maintenance)> switch_mode;
  // How a restore runs; defaults to restore::restore_database.
  std::function<restore::RestoreResult(const restore::RestoreOptions&)> restore;
  // How a point-in-time restore runs; defaults to restore::restore_to_point_in_time.
  std::function<restore::RestoreResult(const restore::RestoreOptions&, const pitr::RecoveryTarget&)> pitr_restore;
  // Connects to Immich's restart channel before the record is written (sent after it); defaults
  // to no channel.
  std::function<std::unique_ptr<immich::RestartAnnouncement>()> prepare_announcement;
};

class MaintenanceService {
 public:
  MaintenanceService(Config config, MaintenanceHooks hooks);
  ~MaintenanceService();
  MaintenanceService(const MaintenanceService&) = delete;
  MaintenanceService& operator=(const MaintenanceService&) = delete;

  // Reads the record once (a missing table counts as "not in maintenance") and cleans up after
  // an interrupted restore (restore::recover_restores). Returns whether to start in maintenance.
  bool initialise();
  // Starts watching the record (and runs a stored restore_database action).
  void start();
  void stop();
  // Re-reads the record at once (Immich announced a restart on its channel).
  void wake();

  bool active() const;
  MaintenanceStatus status() const;
  // The token's username, when it verifies against the current secret.
  std::optional<std::string> verify(const std::string& token) const;
  // A token for `username` under the current secret (while active).
  std::string sign_token(const std::string& username) const;
  // <externalDomain or https://my.immich.app>/maintenance?token=<jwt>
  std::string login_url(const std::string& token) const;

  // Normal mode, POST /api/admin/maintenance with an action other than end: stores the record
  // with a new secret and returns a token for `username`.
  std::string enter(MaintenanceAction action, const RestoreSource& source, const std::string& username);
  // Maintenance mode, POST /api/admin/maintenance: starts the action (the status is set first).
  void request(MaintenanceAction action, const RestoreSource& source);

  // Blocks until a running restore has finished (tests).
  void wait_for_action();

 private:
  void watch();
  void wait_for_change(db::Connection& conn);
  void apply(const MaintenanceState& state);
  void run_restore(const RestoreSource& source);
  void end_maintenance();
  void set_status(MaintenanceStatus status);

  Config config_;
  MaintenanceHooks hooks_;
  mutable std::mutex mu_;
  MaintenanceStatus status_;
  std::string secret_;
  bool mode_active_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> woken_{false};
  std::atomic<bool> action_running_{false};
  std::thread watcher_;
  std::thread action_;
};

struct EnableResult {
  bool already = false;
  std::string secret;
  std::string token;
};
// `keepsake maintenance enable`: stores {active, new secret, action start} unless already active
// (then the existing secret is kept), and returns a token for `username` ("cli-admin").
EnableResult enable_maintenance_mode(db::Connection& conn, const std::string& username = "cli-admin");
// `keepsake maintenance disable`: stores {isMaintenanceMode: false}. False when already off.
bool disable_maintenance_mode(db::Connection& conn);
// The login URL for a token, from system-config server.externalDomain (Immich's fallback
// https://my.immich.app).
std::string maintenance_login_url(db::Connection& conn, const std::string& token);

}  // namespace keepsake::maintenance
