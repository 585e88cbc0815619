// `keepsake vector` and `keepsake doctor`: this command group has no subcommands yet.
#include "cli/commands.h"

namespace keepsake::cli {

void register_vector_commands(CLI::App&, ContextProvider&) {}

}  // namespace keepsake::cli
