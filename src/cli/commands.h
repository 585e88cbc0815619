// The CLI's command groups. Each group adds its subcommands to the app; handlers parse flags,
// call services, print results, and never hold business rules themselves.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

#include "app/app_context.h"
#include "db/connection.h"
#include "files/files_service.h"
#include "restore/restore_service.h"

namespace keepsake::cli {

// Builds the AppContext on first use (after flags are parsed), from the environment plus the
// global flags.
class ContextProvider {
 public:
  app::AppContext& get();
  std::string data_dir_flag;
  std::string log_level_flag;

 private:
  std::unique_ptr<app::AppContext> context_;
};

void register_db_commands(CLI::App& app, ContextProvider& ctx);
void register_serve_command(CLI::App& app, ContextProvider& ctx);
void register_schema_commands(CLI::App& app, ContextProvider& ctx);
void register_admin_commands(CLI::App& app, ContextProvider& ctx);
void register_dev_commands(CLI::App& app, ContextProvider& ctx);
void register_backup_commands(CLI::App& app, ContextProvider& ctx);
void register_maintenance_commands(CLI::App& app, ContextProvider& ctx);
void register_jobs_commands(CLI::App& app, ContextProvider& ctx);
void register_storage_commands(CLI::App& app, ContextProvider& ctx);
void register_files_commands(CLI::App& app, ContextProvider& ctx);
void register_vector_commands(CLI::App& app, ContextProvider& ctx);
void register_pitr_commands(CLI::App& app, ContextProvider& ctx);

// `keepsake files` settings from the configuration and the environment (restic's variables);
// `repo` empty = the saved repository. Shared by `files`, `backup list` and `restore --library`.
files::FilesSettings files_settings(ContextProvider& ctx, const std::string& repo);
void add_delete_extra_flag(CLI::App* command, bool& flag);
void print_files_restore(const files::RestoreResult& r, const files::RestoreOptions& options);
// files::restore_files with a progress bar on stderr.
files::RestoreResult restore_files_with_progress(const files::FilesSettings& settings,
                                                files::RestoreOptions options);
// A restore as `keepsake restore` runs one (maintenance_commands.cc), for other kinds of restore
// (`pitr restore`): asks for confirmation unless `yes` (refused when stdin is not a terminal),
// checks the other clients, enters maintenance mode and waits for Immich's acknowledgements,
// holds lock 621, then calls `run` with the options filled in (live config, progress bar, the
// maintenance state for the restored database); leaves maintenance mode after success, and puts
// it back as it was after a failure. `what` names the restore in questions and messages.
struct GuardedRestore {
  std::string what;
  bool yes = false;
  bool force = false;
};
restore::RestoreResult run_guarded_restore(ContextProvider& ctx, const GuardedRestore& guard,
                                           const std::function<restore::RestoreResult(restore::RestoreOptions&)>& run);
// The lines `keepsake restore` prints after success.
void print_restore_result(const std::string& what, const restore::RestoreResult& result);

// doctor's schema lines: the same verdict as `keepsake schema check` (migrations and drift; notes
// for database settings), in doctor's "ok/ERROR/note" words. Returns the number of problems.
int print_schema_verdict_for_doctor(db::Connection& conn, const Config& config);

}  // namespace keepsake::cli
