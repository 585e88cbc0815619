#include "maintenance/maintenance_service.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "db/connection.h"
#include "db/locks.h"
#include "db/system_metadata.h"
#include "maintenance/maintenance_token.h"
#include "restore/pitr_restore.h"

namespace keepsake::maintenance {
namespace {

constexpr auto kPollInterval = std::chrono::seconds(1);
constexpr auto kWakeCheck = std::chrono::milliseconds(50);
constexpr const char* kPublicError = "Something went wrong, see logs!";

std::string external_domain(db::Connection& conn) {
  try {
    auto stored = db::SystemMetadataRepository(conn).get(db::metadata_key::kSystemConfig);
    if (stored && (*stored)["server"].is_object()) {
      std::string domain = (*stored)["server"].value("externalDomain", "");
      while (!domain.empty() && domain.back() == '/') domain.pop_back();
      if (!domain.empty()) return domain;
    }
  } catch (const Error&) {
  }
  return "https://my.immich.app";
}

}  // namespace

nlohmann::json MaintenanceStatus::to_json(bool full) const {
  nlohmann::json j = {{"active", active}, {"action", action}};
  if (task) j["task"] = *task;
  if (progress) j["progress"] = *progress;
  if (error) j["error"] = full ? *error : kPublicError;
  return j;
}

std::string maintenance_login_url(db::Connection& conn, const std::string& token) {
  return external_domain(conn) + "/maintenance?token=" + token;
}

EnableResult enable_maintenance_mode(db::Connection& conn, const std::string& username) {
  EnableResult r;
  auto state = read_maintenance_state(conn);
  r.already = state.active;
  if (!state.active) {
    state = MaintenanceState{true, new_maintenance_secret(), MaintenanceAction::kStart, "", std::nullopt};
    write_maintenance_state(conn, state);
  }
  r.secret = state.secret;
  r.token = sign_maintenance_token(state.secret, username);
  return r;
}

bool disable_maintenance_mode(db::Connection& conn) {
  if (!read_maintenance_state(conn).active) return false;
  write_maintenance_state(conn, MaintenanceState{});
  return true;
}

MaintenanceService::MaintenanceService(Config config, MaintenanceHooks hooks)
    : config_(std::move(config)), hooks_(std::move(hooks)) {
  if (!hooks_.restore) hooks_.restore = restore::restore_database;
  if (!hooks_.pitr_restore) {
    hooks_.pitr_restore = [](const restore::RestoreOptions& o, const pitr::RecoveryTarget& target) {
      return restore::restore_to_point_in_time(o, target);
    };
  }
  if (!hooks_.prepare_announcement) {
    hooks_.prepare_announcement = [] { return std::make_unique<immich::RestartAnnouncement>(std::nullopt); };
  }
}

MaintenanceService::~MaintenanceService() { stop(); }

bool MaintenanceService::initialise() {
  auto report = restore::recover_restores(config_.db, config_.restore_keep_days);
  if (config_.restore_keep_days > 0) {
    for (auto& folder : restore::remove_replaced_data_folders(config_, std::chrono::hours(24 * config_.restore_keep_days))) {
      spdlog::warn("Restore: removed {}, the data folder a restore replaced, after {} days", folder,
                   config_.restore_keep_days);
    }
  }
  auto conn = db::Connection::open(config_.db);
  auto state = read_maintenance_state(*conn);
  if (!report.completed_file.empty() && state.active) {
    spdlog::info("Ending maintenance mode: the restore of {} had completed", report.completed_file);
    write_maintenance_state(*conn, MaintenanceState{});
    state = MaintenanceState{};
  }
  std::lock_guard lock(mu_);
  mode_active_ = state.active;
  secret_ = state.secret;
  status_ = {state.active, state.active ? action_name(state.action) : "end", {}, {}, {}};
  if (!report.interrupted_file.empty() && state.active) {
    status_.task = "error";
    status_.error = "The restore of " + report.interrupted_file +
                    " was interrupted before it could finish; the library was not changed. You can start it again.";
  }
  return state.active;
}

void MaintenanceService::start() {
  if (watcher_.joinable()) return;
  stopping_ = false;
  watcher_ = std::thread([this] { watch(); });
}

void MaintenanceService::stop() {
  stopping_ = true;
  if (watcher_.joinable()) watcher_.join();
  if (action_.joinable()) action_.join();
}

void MaintenanceService::wake() { woken_ = true; }

bool MaintenanceService::active() const {
  std::lock_guard lock(mu_);
  return mode_active_;
}

MaintenanceStatus MaintenanceService::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void MaintenanceService::set_status(MaintenanceStatus status) {
  std::lock_guard lock(mu_);
  status_ = std::move(status);
}

std::optional<std::string> MaintenanceService::verify(const std::string& token) const {
  std::string secret;
  {
    std::lock_guard lock(mu_);
    if (!mode_active_) return std::nullopt;
    secret = secret_;
  }
  return verify_maintenance_token(secret, token);
}

std::string MaintenanceService::sign_token(const std::string& username) const {
  std::lock_guard lock(mu_);
  return sign_maintenance_token(secret_, username);
}

std::string MaintenanceService::login_url(const std::string& token) const {
  auto conn = db::Connection::open(config_.db);
  return maintenance_login_url(*conn, token);
}

std::string MaintenanceService::enter(MaintenanceAction action, const RestoreSource& source,
                                      const std::string& username) {
  MaintenanceState state{true, new_maintenance_secret(), action, "", std::nullopt};
  if (action == MaintenanceAction::kRestoreDatabase) {
    state.restore_filename = source.filename;
    state.restore_to = source.target;
  }
  auto conn = db::Connection::open(config_.db);
  auto announcement = hooks_.prepare_announcement();
  write_maintenance_state(*conn, state);
  spdlog::info("Maintenance mode entered (action {}) by {}", action_name(action), username);
  announcement->send(true);
  return sign_maintenance_token(state.secret, username);
}

void MaintenanceService::request(MaintenanceAction action, const RestoreSource& source) {
  switch (action) {
    case MaintenanceAction::kEnd: end_maintenance(); return;
    case MaintenanceAction::kStart:
    case MaintenanceAction::kSelectDatabaseRestore: {
      std::lock_guard lock(mu_);
      status_ = {true, action_name(action), {}, {}, {}};
      return;
    }
    case MaintenanceAction::kRestoreDatabase: {
      bool expected = false;
      if (!action_running_.compare_exchange_strong(expected, true)) {
        throw Error(ErrorKind::kConflict, "A maintenance action is already running");
      }
      set_status({true, "restore_database", std::string("ready"), 0.0, {}});
      if (action_.joinable()) action_.join();
      action_ = std::thread([this, source] { run_restore(source); });
      return;
    }
  }
}

void MaintenanceService::wait_for_action() {
  while (action_running_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void MaintenanceService::end_maintenance() {
  auto conn = db::Connection::open(config_.db);
  auto announcement = hooks_.prepare_announcement();
  write_maintenance_state(*conn, MaintenanceState{});
  spdlog::info("Maintenance mode ended");
  announcement->send(false);
}

void MaintenanceService::run_restore(const RestoreSource& source) {
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{action_running_};
  std::unique_ptr<db::HeldLock> lock;
  std::string secret;
  try {
    lock = db::try_lock(config_.db, db::DatabaseLock::MaintenanceOperation);
    if (!lock) {
      spdlog::info("Another instance runs the maintenance action");
      return;
    }
    lock->connection().exec("SET application_name = 'keepsake-maintenance'");
    spdlog::info("Running maintenance action restore_database");
    {
      std::lock_guard g(mu_);
      secret = secret_;
    }
    MaintenanceState kept{true, secret, MaintenanceAction::kStart, "", std::nullopt};
    auto announcement = hooks_.prepare_announcement();
    // No restore loop after a crash: the record no longer asks for the restore.
    write_maintenance_state(lock->connection(), kept);
    announcement->send(true);  // every Immich server acknowledged before anything is touched
    if (source.filename.empty() && !source.target) {
      throw Error(ErrorKind::kInvalidArgument, "Expected restoreBackupFilename but it's missing!");
    }
    restore::RestoreOptions o;
    o.config = config_;
    o.filename = source.filename;
    o.progress = [this](const restore::RestoreProgress& p) {
      set_status({true, "restore_database", p.task, p.progress, {}});
    };
    o.prepare_restored = [kept](db::Connection& restored) { write_maintenance_state(restored, kept); };
    if (source.target) {
      spdlog::info("Restoring: {}", pitr::describe(*source.target));
      set_status({true, "restore_database", std::string("restore"), 0.0, {}});
      hooks_.pitr_restore(o, *source.target);
    } else {
      hooks_.restore(o);
    }
    lock.reset();
    end_maintenance();
  } catch (const std::exception& e) {
    spdlog::error("Encountered error running action: {}", e.what());
    set_status({true, "restore_database", std::string("error"), {}, std::string(e.what())});
  }
}

void MaintenanceService::apply(const MaintenanceState& state) {
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = state.active != mode_active_;
    if (state.active) secret_ = state.secret;
  }
  if (changed) {
    spdlog::info("Maintenance mode {}", state.active ? "on: switching to the maintenance routes" : "off: resuming");
    try {
      if (hooks_.switch_mode) hooks_.switch_mode(state.active);
    } catch (const std::exception& e) {
      spdlog::error("Could not leave maintenance mode: {}", e.what());
      set_status({true, "end", std::string("error"), {}, std::string("The server could not resume: ") + e.what()});
      return;
    }
    std::lock_guard lock(mu_);
    mode_active_ = state.active;
    if (!action_running_) status_ = {state.active, state.active ? action_name(state.action) : "end", {}, {}, {}};
  }
  if (state.active && state.action == MaintenanceAction::kRestoreDatabase && !action_running_) {
    try {
      request(MaintenanceAction::kRestoreDatabase, {state.restore_filename, state.restore_to});
    } catch (const Error&) {
    }
  }
}

// Until a notification, a wake() or the next poll.
void MaintenanceService::wait_for_change(db::Connection& conn) {
  for (auto waited = kWakeCheck; waited <= kPollInterval && !stopping_ && !woken_.exchange(false); waited += kWakeCheck) {
    if (conn.wait_notification(kWakeCheck)) return;
  }
}

void MaintenanceService::watch() {
  std::unique_ptr<db::Connection> conn;
  while (!stopping_) {
    try {
      if (!conn || !conn->healthy()) {
        conn = db::Connection::open(config_.db);
        conn->exec("SET application_name = 'keepsake-maintenance'");
        conn->listen(kMaintenanceChannel);
      }
      apply(read_maintenance_state(*conn));
      wait_for_change(*conn);
    } catch (const std::exception& e) {
      // The database may be swapping under a restore, or restarting: try again shortly.
      spdlog::debug("maintenance watcher: {}", e.what());
      conn.reset();
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(kPollInterval / 10);
    }
  }
}

}  // namespace keepsake::maintenance
