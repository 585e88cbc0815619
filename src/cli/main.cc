// keepsake: the command-line entry point. Parses flags, dispatches to the command groups, and
// turns every keepsake::Error into one line on stderr and a non-zero exit code.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "common/log.h"

// Errors print as one line: libpq's multi-line messages are joined.
static std::string one_line(std::string text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') {
      out += text[i];
      continue;
    }
    while (i + 1 < text.size() && (text[i + 1] == '\t' || text[i + 1] == ' ')) ++i;
    if (i + 1 < text.size()) out += ' ';
  }
  return out;
}

int main(int argc, char** argv) {
  keepsake::log::init("log");
  CLI::App app{"Keepsake: the database core of a self-hosted photo library (Immich v2.7.5 compatible)"};
  app.set_version_flag("--version", KEEPSAKE_VERSION);
  app.require_subcommand(1);
  keepsake::cli::ContextProvider ctx;
  app.add_option("--data-dir", ctx.data_dir_flag,
                 "Keepsake's data folder (env KEEPSAKE_DATA_DIR, default ./data)");
  app.add_option("--log-level", ctx.log_level_flag,
                 "verbose, debug, log, warn or error (env IMMICH_LOG_LEVEL)");

  keepsake::cli::register_serve_command(app, ctx);
  keepsake::cli::register_db_commands(app, ctx);
  keepsake::cli::register_schema_commands(app, ctx);
  keepsake::cli::register_admin_commands(app, ctx);
  keepsake::cli::register_dev_commands(app, ctx);
  keepsake::cli::register_backup_commands(app, ctx);
  keepsake::cli::register_maintenance_commands(app, ctx);
  keepsake::cli::register_jobs_commands(app, ctx);
  keepsake::cli::register_storage_commands(app, ctx);
  keepsake::cli::register_files_commands(app, ctx);
  keepsake::cli::register_vector_commands(app, ctx);
  keepsake::cli::register_pitr_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const keepsake::Error& e) {
    std::cerr << "keepsake: error: " << one_line(e.full_message()) << "\n";
    return keepsake::exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "keepsake: error: " << one_line(e.what()) << "\n";
    return 1;
  }
  return 0;
}
