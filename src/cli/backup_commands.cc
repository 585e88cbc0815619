// `keepsake backup`: this command group has no subcommands yet.
#include "cli/commands.h"

namespace keepsake::cli {

void register_backup_commands(CLI::App&, ContextProvider&) {}

}  // namespace keepsake::cli
