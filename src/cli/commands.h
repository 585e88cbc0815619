// The CLI's command groups. Each group adds its subcommands to the app; handlers parse flags,
// call services, print results, and never hold business rules themselves.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

#include "app/app_context.h"
#include "db/connection.h"
#include "files/files_service.h"

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

// doctor's schema lines: the same verdict as `keepsake schema check` (migrations and drift; notes
// for database settings), in doctor's "ok/ERROR/note" words. Returns the number of problems.
int print_schema_verdict_for_doctor(db::Connection& conn, const Config& config);

}  // namespace keepsake::cli
