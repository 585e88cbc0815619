// `keepsake serve`: the configuration from the environment, the embedded PostgreSQL when no
// database is configured, then either maintenance mode (only the maintenance routes; no
// migrations, no jobs) or the database and storage boot and the normal services; the HTTP server
// runs until SIGTERM or SIGINT, switching route sets and services whenever maintenance mode changes
// (maintenance/maintenance_service.h), and with REDIS_* set, listening on Immich's restart channel
// (immich/restart_channel.h) so Immich's maintenance events are answered and followed at once.
// Shutdown: stop accepting, let running requests finish, stop
// the services, then stop the embedded PostgreSQL.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "auth/auth_service.h"
#include "backup/backup_scheduler.h"
#include "cli/commands.h"
#include "db/connection.h"
#include "db/embedded_watchdog.h"
#include "db/pool.h"
#include "db/server_version.h"
#include "files/check_schedule.h"
#include "files/files_jobs.h"
#include "files/verify_schedule.h"
#include "http/server.h"
#include "immich/restart_channel.h"
#include "jobs/job_service.h"
#include "maintenance/maintenance_service.h"
#include "migrations/boot.h"
#include "pitr/pitr.h"
#include "storage/boot.h"
#include "vector/vector_service.h"

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
  auto options = migrations::boot_options_from_config(c.config());
  options.prepare_vector = [&c](db::Connection& conn, migrations::BootOptions& o) {
    auto vectors = vector::prepare_vectors_for_boot(conn, c.config());
    o.schema.vector =
        *schema::parse_vector_flavour(vector::extension_sql_name(vectors.extension));
  };
  migrations::run_database_boot(c.database(), options);
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

// What runs only outside maintenance mode: the database and storage boot, the job workers and
// nightly schedule, vector search, and the backup, files, verification and files-check schedules.
class NormalServices {
 public:
  explicit NormalServices(app::AppContext& c) : c_(c) {}
  ~NormalServices() { stop(); }

  // Boots the database (migrations, drift check) and the storage; throws when they fail.
  void boot() {
    boot_database(c_);
    storage::run_storage_boot(c_.database(), c_.config());
  }
  void start() {
    jobs_ = jobs::start_job_service(c_.database(), c_.config());
    vectors_ = vector::start_vector_service(c_.config(), c_.database());
    files_ = std::make_unique<files::FilesScheduler>(c_.database(), files::files_settings_of(c_.config()));
    files_->start();
    verify_ = std::make_unique<files::VerifyScheduler>(c_.database());
    verify_->start();
    checks_ = std::make_unique<files::CheckScheduler>(c_.database(), files::files_settings_of(c_.config()));
    checks_->start();
    backups_ = std::make_unique<backup::BackupScheduler>(backup::SchedulerOptions{
        .backup = {.db = c_.database(), .media_location = c_.config().media_location},
        .after_backup = [files = files_.get()](const backup::BackupResult& made) {
          files->after_database_backup({made.filename, made.sha256});
        }});
    backups_->start();
  }
  void stop() {
    backups_.reset();
    checks_.reset();
    verify_.reset();
    files_.reset();
    vectors_.reset();
    jobs_.reset();
  }

 private:
  app::AppContext& c_;
  std::unique_ptr<jobs::JobService> jobs_;
  std::unique_ptr<vector::VectorService> vectors_;
  std::unique_ptr<files::FilesScheduler> files_;
  std::unique_ptr<files::VerifyScheduler> verify_;
  std::unique_ptr<files::CheckScheduler> checks_;
  std::unique_ptr<backup::BackupScheduler> backups_;
};

Config live_config(app::AppContext& c) {
  Config config = c.config();
  config.db = c.database();
  return config;
}

void serve(app::AppContext& c) {
  sigset_t signals = block_shutdown_signals();
  EmbeddedStopper stopper{c};
  c.ensure_database_running();
  // Declared after the stopper: it stops before the cluster does.
  std::unique_ptr<db::EmbeddedWatchdog> watchdog;
  if (c.embedded()) {
    watchdog = std::make_unique<db::EmbeddedWatchdog>(*c.embedded());
    watchdog->start();
  }
  pitr::PitrService pitr_service(c.config(), c.database());
  pitr_service.start();

  http::Server* server_ptr = nullptr;
  NormalServices normal(c);
  std::unique_ptr<immich::RestartListener> immich_channel;
  maintenance::MaintenanceService maintenance(
      live_config(c), {.switch_mode = [&](bool on) {
                         if (on) {
                           server_ptr->switch_to(http::kMaintenanceRoutes);
                           normal.stop();
                         } else {
                           normal.boot();
                           normal.start();
                           server_ptr->switch_to(http::kNormalRoutes);
                         }
                       },
                       .prepare_announcement = [&] {
                         return immich_channel ? immich_channel->prepare_announcement()
                                               : std::make_unique<immich::RestartAnnouncement>(std::nullopt);
                       }});
  bool in_maintenance = maintenance.initialise();
  if (!in_maintenance) normal.boot();
  if (auto redis = load_redis_config(process_environment())) {
    immich_channel = std::make_unique<immich::RestartListener>(*redis, [&] { maintenance.wake(); });
  } else {
    spdlog::warn("{}", immich::no_channel_notice());
  }
  // The listener calls into `maintenance`: it stops first, however serve ends.
  struct ListenerStopper {
    std::unique_ptr<immich::RestartListener>& listener;
    ~ListenerStopper() {
      if (listener) listener->stop();
    }
  } listener_stopper{immich_channel};

  db::Pool pool(c.database(), kPoolSize);
  auth::AuthService auth_service(pool);
  http::RouteDeps deps{.app = &c, .pool = &pool, .auth = &auth_service, .maintenance = &maintenance};
  http::Server server({.host = c.config().host, .port = c.config().port}, deps,
                      [&](const auth::Credentials& credentials) {
                        return auth_service.authenticate(credentials);
                      });
  server_ptr = &server;
  server.switch_to(in_maintenance ? http::kMaintenanceRoutes : http::kNormalRoutes);
  server.bind();
  if (in_maintenance) {
    std::string token = maintenance.sign_token("immich-admin");
    spdlog::info("Immich is in maintenance mode, you can log in using the following URL: {}",
                 maintenance.login_url(token));
    spdlog::info("Or, on this machine: http://localhost:{}/maintenance?token={}", server.port(), token);
  } else {
    normal.start();
  }
  maintenance.start();
  if (immich_channel) immich_channel->start();

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
  if (immich_channel) immich_channel->stop();
  maintenance.stop();
  normal.stop();
  spdlog::info("HTTP server stopped");
}

}  // namespace

void register_serve_command(CLI::App& app, ContextProvider& ctx) {
  app.add_subcommand("serve", "Run the Keepsake server (embedded PostgreSQL if none configured)")
      ->callback([&] { serve(ctx.get()); });
}

}  // namespace keepsake::cli
