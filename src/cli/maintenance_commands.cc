// `keepsake maintenance` and `keepsake restore`: this command group has no subcommands yet.
#include "cli/commands.h"

namespace keepsake::cli {

void register_maintenance_commands(CLI::App&, ContextProvider&) {}

}  // namespace keepsake::cli
