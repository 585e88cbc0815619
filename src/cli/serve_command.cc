// `keepsake serve`: the configuration from the environment, the embedded PostgreSQL when no
// database is configured, the version check and database boot, then the HTTP server until SIGTERM
// or SIGINT. Shutdown: stop accepting, let running requests finish, close the pool, then stop the
// embedded PostgreSQL.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "auth/auth_service.h"
#include "backup/backup_scheduler.h"
#include "cli/commands.h"
#include "db/connection.h"
#include "db/pool.h"
#include "db/server_version.h"
#include "http/server.h"
#include "jobs/job_service.h"
#include "vector/vector_service.h"
#include "storage/boot.h"
#if __has_include("migrations/boot.h")
#include "migrations/boot.h"
#define KEEPSAKE_HAS_DATABASE_BOOT 1
#endif

namespace keepsake::cli {
namespace {

constexpr size_t kPoolSize = 16;

// Blocks SIGINT/SIGTERM in this thread and every thread it starts; a watcher takes them.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void boot_database(const app::AppContext& c) {
#ifdef KEEPSAKE_HAS_DATABASE_BOOT
  auto options = migrations::boot_options_from_config(c.config());
  options.prepare_vector = [&c](db::Connection& conn, migrations::BootOptions& o) {
    auto vectors = vector::prepare_vectors_for_boot(conn, c.config());
    o.schema.vector =
        *schema::parse_vector_flavour(vector::extension_sql_name(vectors.extension));
  };
  migrations::run_database_boot(c.database(), options);
#else
  auto conn = db::Connection::open(c.database());
  db::check_server_version(*conn);
#endif
}

// Stops the embedded cluster however serve ends (normal return or exception).
struct EmbeddedStopper {
  app::AppContext& context;
  ~EmbeddedStopper() {
    try {
      context.stop_embedded();
    } catch (const std::exception& e) {
      spdlog::error("stopping the embedded PostgreSQL failed: {}", e.what());
    }
  }
};

void serve(app::AppContext& c) {
  sigset_t signals = block_shutdown_signals();
  EmbeddedStopper stopper{c};
  c.ensure_database_running();
  boot_database(c);
  storage::run_storage_boot(c.database(), c.config());
  auto job_service = jobs::start_job_service(c.database(), c.config());

  db::Pool pool(c.database(), kPoolSize);
  auth::AuthService auth_service(pool);
  http::RouteDeps deps{.app = &c, .pool = &pool, .auth = &auth_service};
  http::Server server({.host = c.config().host, .port = c.config().port}, deps,
                      [&](const auth::Credentials& credentials) {
                        return auth_service.authenticate(credentials);
                      });
  server.switch_to(http::kNormalRoutes);
  server.bind();
  auto vectors = vector::start_vector_service(c.config(), c.database());
  backup::BackupScheduler backup_scheduler({.backup = {.db = c.database(), .media_location = c.config().media_location}});
  backup_scheduler.start();

  std::atomic<bool> shutting_down{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!shutting_down.exchange(true)) {
      spdlog::info("Received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    server.stop();
  });
  spdlog::info("Keepsake Server is listening on http://{} [v{}] [{}]", server.address(),
               KEEPSAKE_VERSION, c.config().env);
  server.run();
  if (!shutting_down.exchange(true)) pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  spdlog::info("HTTP server stopped");
}

}  // namespace

void register_serve_command(CLI::App& app, ContextProvider& ctx) {
  app.add_subcommand("serve", "Run the Keepsake server (embedded PostgreSQL if none configured)")
      ->callback([&] { serve(ctx.get()); });
}

}  // namespace keepsake::cli
