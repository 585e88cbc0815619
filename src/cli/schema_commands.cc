// `keepsake schema` and `keepsake migrations`: this command group has no subcommands yet.
#include "cli/commands.h"

namespace keepsake::cli {

void register_schema_commands(CLI::App&, ContextProvider&) {}

}  // namespace keepsake::cli
