#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "db/connection.h"

namespace keepsake::cli {
namespace {

app::AppContext& embedded_context(ContextProvider& ctx) {
  auto& c = ctx.get();
  if (!c.uses_embedded()) {
    throw Error(ErrorKind::kInvalidArgument,
                "the embedded PostgreSQL is not used: DB_URL or DB_HOSTNAME is set",
                "unset them to use the embedded cluster under KEEPSAKE_DATA_DIR");
  }
  return c;
}

}  // namespace

void register_db_commands(CLI::App& app, ContextProvider& ctx) {
  auto* db = app.add_subcommand("db", "Manage the embedded PostgreSQL cluster");
  db->require_subcommand(1);
  db->add_subcommand("start", "Create (if needed) and start the embedded cluster")->callback([&] {
    embedded_context(ctx).ensure_database_running();
    std::cout << "embedded PostgreSQL running: " << ctx.get().database().display_url() << "\n";
  });
  db->add_subcommand("stop", "Stop the embedded cluster")->callback([&] {
    embedded_context(ctx).stop_embedded(true);
    std::cout << "embedded PostgreSQL stopped\n";
  });
  db->add_subcommand("status", "Show whether the embedded cluster runs")->callback([&] {
    auto& c = embedded_context(ctx);
    bool running = c.embedded()->running();
    std::cout << "cluster:  " << c.embedded()->data_dir() << "\n"
              << "status:   " << (!c.embedded()->initialized() ? "not created"
                                  : running                     ? "running"
                                                                : "stopped")
              << "\n";
    if (running) std::cout << "url:      " << c.database().display_url() << "\n";
  });
  db->add_subcommand("url", "Print a connection string for psql")->callback([&] {
    std::cout << ctx.get().database().display_url() << "\n";
  });
}

}  // namespace keepsake::cli
