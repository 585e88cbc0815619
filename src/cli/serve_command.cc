#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "db/connection.h"
#include "db/server_version.h"

namespace keepsake::cli {

void register_serve_command(CLI::App& app, ContextProvider& ctx) {
  app.add_subcommand("serve", "Run the Keepsake server (embedded PostgreSQL if none configured)")
      ->callback([&] {
        auto& c = ctx.get();
        c.ensure_database_running();
        auto conn = db::Connection::open(c.database());
        db::check_server_version(*conn);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        int sig = 0;
        sigwait(&set, &sig);
        c.stop_embedded();
      });
}

}  // namespace keepsake::cli
