// What every interface (CLI command, HTTP server) needs to reach the database: the validated
// Config, and the embedded PostgreSQL when no database is configured. Starting the embedded
// cluster is explicit (ensure_database_running) so read-only commands never start one by surprise.
#pragma once

#include <memory>
#include <optional>

#include "config/config.h"
#include "db/embedded_postgres.h"

namespace keepsake::app {

class AppContext {
 public:
  explicit AppContext(Config config);

  const Config& config() const { return config_; }
  Config& mutable_config() { return config_; }

  // Where to connect; for the embedded cluster, its socket.
  DatabaseConfig database() const;
  // Starts the embedded cluster when it is used and not running yet. No-op otherwise.
  void ensure_database_running();
  // Stops the embedded cluster if this context started it (or always, with force).
  void stop_embedded(bool force = false);

  bool uses_embedded() const { return config_.db.embedded; }
  db::EmbeddedPostgres* embedded() { return embedded_.get(); }

 private:
  Config config_;
  std::unique_ptr<db::EmbeddedPostgres> embedded_;
  bool started_here_ = false;
};

}  // namespace keepsake::app
