// `keepsake maintenance enable|disable|status` and `keepsake restore <file>|--library <point>|cleanup`.
// enable/disable write Immich's maintenance-mode record (Keepsake servers switch within a second)
// and then tell running Immich servers through the restart channel (immich/restart_channel.h);
// restore puts the server into maintenance mode, tells Immich and waits for every acknowledgement,
// holds lock 621, restores behind a write fence (db/write_fence.h; asking for confirmation unless
// --yes), shows a progress bar, and ends maintenance mode on success. Before anything, a restore
// stops when other clients can neither be told nor fenced, unless --force. Every command here
// first lifts a write fence a killed Keepsake left; status lists the other clients.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "backup/backup_files.h"
#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "config/redis_config.h"
#include "db/connection.h"
#include "db/database_clients.h"
#include "db/locks.h"
#include "db/write_fence.h"
#include "immich/restart_channel.h"
#include "maintenance/maintenance_service.h"
#include "maintenance/maintenance_token.h"
#include "restore/pitr_restore.h"
#include "restore/restore_service.h"

namespace keepsake::cli {
namespace {

// Immich's restart channel (REDIS_*), or nothing when no Redis variable is set.
std::optional<RedisConfig> redis_config() { return load_redis_config(process_environment()); }

Config live_config(app::AppContext& c) {
  c.ensure_database_running();
  Config config = c.config();
  config.db = c.database();
  for (const auto& m : db::lift_abandoned_fences(config.db)) std::cerr << m << "\n";
  return config;
}

void print_login(db::Connection& conn, app::AppContext& c, const std::string& token) {
  std::cout << maintenance::maintenance_login_url(conn, token) << "\n"
            << "On the server itself: http://localhost:" << c.config().port << "/maintenance?token=" << token << "\n";
}

void enable(ContextProvider& ctx) {
  auto& c = ctx.get();
  Config config = live_config(c);
  auto conn = db::Connection::open(config.db);
  immich::RestartAnnouncement announcement(redis_config());
  auto r = maintenance::enable_maintenance_mode(*conn);
  std::cout << (r.already ? "The server is already in maintenance mode!" : "Maintenance mode has been enabled.")
            << "\nLog in with:\n";
  print_login(*conn, c, r.token);
  if (!r.already) announcement.send(true);
}

// Writes {isMaintenanceMode: false}, then tells Immich's servers. False when it was already off.
bool leave_maintenance(const Config& config, const std::optional<RedisConfig>& redis) {
  immich::RestartAnnouncement announcement(redis);
  if (!maintenance::disable_maintenance_mode(*db::Connection::open(config.db))) return false;
  announcement.send(false);
  return true;
}

void disable(ContextProvider& ctx) {
  auto& c = ctx.get();
  std::cout << (leave_maintenance(live_config(c), redis_config()) ? "Maintenance mode has been disabled."
                                                             : "The server is already out of maintenance mode!")
            << "\n";
}

void print_other_clients(db::Connection& conn, const std::string& database) {
  auto clients = db::list_other_clients(conn, database);
  std::cout << "Other clients of " << database << ": " << (clients.empty() ? "none" : std::to_string(clients.size()))
            << "\n";
  for (const auto& client : clients) std::cout << "  " << db::describe_client(client) << "\n";
  if (!clients.empty() && !restart_channel_configured()) std::cout << immich::no_channel_notice() << "\n";
}

// After a failed restore (the error that stopped it goes on): back to normal mode, telling Immich.
void leave_maintenance_after_failure(const Config& config, const std::optional<RedisConfig>& redis) {
  try {
    leave_maintenance(config, redis);
  } catch (const Error& e) {
    std::cerr << "warning: " << e.full_message() << "\n";
  }
}

// Before a restore touches anything, every Immich server must have acknowledged maintenance;
// otherwise maintenance mode goes back to how it was and the restore stops.
void tell_immich_restore_starts(immich::RestartAnnouncement& announcement, bool was_active, const Config& config,
                                const std::optional<RedisConfig>& redis) {
  try {
    announcement.send(true);
  } catch (const Error& e) {
    if (!was_active) leave_maintenance_after_failure(config, redis);
    throw Error(e.kind(), std::string("the restore stopped before touching anything: ") + e.what(), e.hint());
  }
}

void status(ContextProvider& ctx) {
  auto& c = ctx.get();
  auto database = live_config(c).db;
  auto conn = db::Connection::open(database);
  print_other_clients(*conn, database.dbname);
  auto state = maintenance::read_maintenance_state(*conn);
  if (!state.active) {
    std::cout << "Maintenance mode: off\n";
    return;
  }
  std::cout << "Maintenance mode: on (action " << maintenance::action_name(state.action) << ")\n"
            << "Lock 621 (a maintenance operation): "
            << (db::is_lock_held_elsewhere(*conn, db::DatabaseLock::MaintenanceOperation) ? "held" : "free") << "\n"
            << "Log in with:\n";
  print_login(*conn, c, maintenance::sign_maintenance_token(state.secret, "cli-admin"));
}

bool confirmed(const std::string& file, const Config& config) {
  std::cerr << "Restore " << file << "? This replaces the whole library database \"" << config.db.dbname
            << "\" (the current one is kept aside). Type yes to continue: ";
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

restore::RestoreStrategy parse_strategy(const std::string& s) {
  if (s == "auto") return restore::RestoreStrategy::kAuto;
  if (s == "beside") return restore::RestoreStrategy::kBeside;
  if (s == "in-place") return restore::RestoreStrategy::kInPlace;
  throw Error(ErrorKind::kInvalidArgument, "--strategy must be auto, beside or in-place");
}

struct RestoreFlags {
  std::string file;
  bool yes = false;
  bool force = false;
  std::string strategy = "auto";
  int jobs = 2;
  std::string library;  // a library point: its database backup, then its files
  std::string repo;
  std::string target;
  bool delete_extra = false;
};

void run_restore(ContextProvider& ctx, const RestoreFlags& flags) {
  auto& c = ctx.get();
  c.ensure_database_running();
  backup::resolve_backup_path(backup::backups_folder(c.config().media_location), flags.file);
  auto result = run_guarded_restore(ctx, {flags.file, flags.yes, flags.force}, [&](restore::RestoreOptions& o) {
    o.filename = flags.file;
    o.strategy = parse_strategy(flags.strategy);
    o.connections = flags.jobs;
    return restore::restore_database(o);
  });
  print_restore_result(flags.file, result);
}

void cleanup(ContextProvider& ctx, int older_than_days) {
  Config config = live_config(ctx.get());
  auto dropped = restore::cleanup_restore_databases(config.db, std::chrono::hours(24 * older_than_days));
  for (auto& folder : restore::remove_replaced_data_folders(config, std::chrono::hours(24 * older_than_days))) {
    dropped.push_back(folder);
  }
  if (dropped.empty()) std::cout << "Nothing to remove.\n";
  for (auto& d : dropped) std::cout << "Removed " << d << "\n";
}

}  // namespace

restore::RestoreResult run_guarded_restore(ContextProvider& ctx, const GuardedRestore& guard,
                                           const std::function<restore::RestoreResult(restore::RestoreOptions&)>& run) {
  Config config = live_config(ctx.get());
  const auto redis = redis_config();
  if (!guard.yes) {
    if (!isatty(STDIN_FILENO)) {
      throw Error(ErrorKind::kInvalidArgument, "restore replaces the library database: confirm with --yes");
    }
    if (!confirmed(guard.what, config)) throw Error(ErrorKind::kInvalidArgument, "restore cancelled; nothing changed");
  }
  for (auto& m : restore::recover_restores(config.db, config.restore_keep_days).messages) std::cerr << m << "\n";

  db::check_or_refuse(config.db, "restore of " + guard.what, restart_channel_configured(), guard.force);
  auto conn = db::Connection::open(config.db);
  immich::RestartAnnouncement announcement(redis);
  auto entered = maintenance::enable_maintenance_mode(*conn);
  tell_immich_restore_starts(announcement, entered.already, config, redis);
  auto lock = db::try_lock(config.db, db::DatabaseLock::MaintenanceOperation);
  if (!lock) {
    if (!entered.already) leave_maintenance_after_failure(config, redis);
    throw Error(ErrorKind::kConflict, "another maintenance operation runs (advisory lock 621 is held)",
                "wait for it to finish (keepsake maintenance status)");
  }
  lock->connection().exec("SET application_name = 'keepsake-maintenance'");
  maintenance::MaintenanceState kept{true, entered.secret, maintenance::MaintenanceAction::kStart, ""};
  restore::RestoreOptions o;
  o.config = config;
  o.force = guard.force;
  ProgressBar bar("restore", "");
  o.progress = [&](const restore::RestoreProgress& p) { bar.update(p.progress, 1, p.task + ": " + p.message); };
  o.prepare_restored = [&](db::Connection& restored) { maintenance::write_maintenance_state(restored, kept); };
  restore::RestoreResult result;
  try {
    result = run(o);
  } catch (...) {
    bar.finish();
    lock.reset();
    // The live database is unchanged: leave maintenance mode as it was.
    if (!entered.already) leave_maintenance_after_failure(config, redis);
    throw;
  }
  bar.finish();
  lock.reset();
  leave_maintenance(config, redis);
  return result;
}

void print_restore_result(const std::string& what, const restore::RestoreResult& result) {
  std::cout << "Restored " << what << " in " << static_cast<int>(result.seconds + 0.5) << " s ("
            << restore::strategy_name(result.strategy);
  // A replaced data folder was not loaded row by row.
  if (result.strategy != restore::RestoreStrategy::kDataFolder) std::cout << ", " << result.rows << " rows";
  std::cout << ").\n";
  if (!result.previous_database.empty()) {
    std::cout << "The previous database is kept as " << result.previous_database
              << " (remove it with `keepsake restore cleanup`).\n";
  }
  if (!result.restore_point.empty()) std::cout << "Restore point: " << result.restore_point << "\n";
  const char* label = result.strategy == restore::RestoreStrategy::kDataFolder ? "Note: " : "Skipped: ";
  for (auto& note : result.notes) std::cout << label << note << "\n";
}

namespace {

void print_proof(const files::LibraryProof& proof) {
  for (const auto& f : proof.findings) {
    std::cout << "  " << f.problem << "  " << f.asset_id << "  " << f.path << "\n";
  }
  if (!proof.ok()) {
    throw Error(ErrorKind::kCorrupt,
                std::to_string(proof.findings.size()) + " originals missing or not matching " +
                    "their SHA-1, " + std::to_string(proof.missing_irreplaceable) +
                    " irreplaceable files missing after the restore",
                "`keepsake files restore --repair` looks for good copies in older snapshots");
  }
  std::cout << "Proof: all " << proof.originals_checked
            << " originals the database references are present and match their SHA-1\n";
}

// `restore --library <point>`: the point's database backup through the restore above (fetched
// from the snapshot first when backups/ lost it), then the snapshot's files, then the proof.
void run_library_restore(ContextProvider& ctx, RestoreFlags flags) {
  auto settings = files_settings(ctx, flags.repo);
  auto point = files::find_library_point(settings, flags.library);
  settings.repository = point.repository;  // with the options saved for it
  std::cout << "Library point " << point.snapshot.short_id << ": database backup "
            << point.database_backup << ", file snapshot of " << point.snapshot.time << " in "
            << files::shown_repository(point.repository) << "\n";
  if (files::fetch_database_backup(settings, point.snapshot.id, point.database_backup)) {
    std::cout << "Fetched " << point.database_backup << " from the snapshot into backups/\n";
  }
  flags.file = point.database_backup;
  run_restore(ctx, flags);
  files::RestoreOptions options{point.snapshot.id, flags.target, flags.delete_extra};
  print_files_restore(restore_files_with_progress(settings, options), options);
  auto conn = db::Connection::open(live_config(ctx.get()).db);
  print_proof(files::prove_library(*conn, settings, flags.target));
}

}  // namespace

void register_maintenance_commands(CLI::App& app, ContextProvider& ctx) {
  auto* m = app.add_subcommand("maintenance", "Immich's maintenance mode (restores, database work)");
  m->require_subcommand(1);
  m->add_subcommand("enable", "Enter maintenance mode and print the login URL")->callback([&] { enable(ctx); });
  m->add_subcommand("disable", "Leave maintenance mode")->callback([&] { disable(ctx); });
  m->add_subcommand("status", "Show the other clients of the database, the mode and a login URL")->callback([&] { status(ctx); });

  auto flags = std::make_shared<RestoreFlags>();
  auto* r = app.add_subcommand("restore", "Restore a backup from <media>/backups (or `restore cleanup`)");
  auto* file = r->add_option("file", flags->file, "The backup's file name in <media>/backups");
  auto* library = r->add_option(
      "--library", flags->library,
      "A library point (`keepsake backup list`; a snapshot id or latest): its database backup "
      "and its files, then the proof that every original matches its SHA-1");
  library->excludes(file);
  r->add_option("--repo", flags->repo, "--library: the restic repository (default: the saved one)")
      ->needs(library);
  r->add_option("--target", flags->target,
                "--library: restore the files into this new folder instead of in place")
      ->needs(library);
  add_delete_extra_flag(r, flags->delete_extra);
  r->add_flag("--yes,-y", flags->yes, "Do not ask for confirmation");
  r->add_flag("--force", flags->force,
              "Restore although other clients can neither be told to stop writing nor fenced");
  r->add_option("--strategy", flags->strategy, "auto (default), beside or in-place")->check(
      CLI::IsMember({"auto", "beside", "in-place"}));
  r->add_option("--jobs", flags->jobs, "Parallel connections for loading and index builds (beside)")
      ->check(CLI::Range(1, 16));
  auto days = std::make_shared<int>(0);
  auto* c = r->add_subcommand("cleanup", "Remove the databases (and embedded data folders) earlier restores replaced, and unfinished copies");
  c->add_option("--older-than-days", *days, "Keep those younger than this many days");
  c->callback([&ctx, days] { cleanup(ctx, *days); });
  r->callback([&ctx, r, c, flags] {
    if (c->parsed()) return;
    if (!flags->library.empty()) return run_library_restore(ctx, *flags);
    if (flags->delete_extra) {
      throw Error(ErrorKind::kInvalidArgument, "--delete-extra goes with --library");
    }
    if (flags->file.empty()) throw Error(ErrorKind::kInvalidArgument, "which backup? keepsake restore <file>");
    run_restore(ctx, *flags);
  });
}

}  // namespace keepsake::cli
