// `keepsake jobs`: this command group has no subcommands yet.
#include "cli/commands.h"

namespace keepsake::cli {

void register_jobs_commands(CLI::App&, ContextProvider&) {}

}  // namespace keepsake::cli
