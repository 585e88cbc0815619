// The embedded PostgreSQL cluster Keepsake uses when no database is configured (neither DB_URL
// nor DB_HOSTNAME): created with the system's initdb under <data dir>/postgres, listening on a
// Unix socket only (optionally also on 127.0.0.1 for tests), run as the unprivileged 'postgres'
// user when Keepsake is root. Recovers from a stale postmaster.pid after a crash.
// Never listens on a non-loopback address; never runs PostgreSQL as root.
#pragma once

#include <optional>
#include <string>

#include "common/process.h"
#include "config/config.h"

namespace keepsake::db {

struct EmbeddedOptions {
  std::string cluster_dir;      // holds data/, run/ (socket) and postgres.log
  int port = 5432;              // names the socket file; the TCP port when listen_tcp
  bool listen_tcp = false;      // also listen on 127.0.0.1 (password auth for TCP)
  std::string superuser = "postgres";
  std::string database = "immich";  // created on first start
  // A test's cluster, never a user's: initdb skips its final sync and the server runs with
  // fsync = off (a killed server loses nothing; only a crash of the machine would).
  bool throwaway = false;
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedOptions options);

  // Creates the cluster when it does not exist yet (initdb), then starts it unless it already
  // runs. Clears a stale postmaster.pid first. Creates the database when missing.
  void start();
  // Fast shutdown; waits until stopped. No-op when not running.
  void stop();
  bool running() const;
  bool initialized() const;
  // True while the postmaster named by postmaster.pid lives: a cheap check, no child process.
  bool postmaster_alive() const;

  // How to connect (socket directory as host, trust auth for the local socket).
  DatabaseConfig connection_config(const std::string& dbname = {}) const;

  const EmbeddedOptions& options() const { return options_; }
  std::string data_dir() const { return options_.cluster_dir + "/data"; }
  std::string socket_dir() const { return options_.cluster_dir + "/run"; }
  std::string log_file() const { return options_.cluster_dir + "/postgres.log"; }

  // Where the PostgreSQL server binaries are (pg_config --bindir, else the newest
  // /usr/lib/postgresql/<major>/bin).
  static std::string bindir();

 private:
  void init_cluster();
  void write_settings();
  void clear_stale_pid();
  void ensure_database();
  ProcessResult run_tool(const std::vector<std::string>& argv) const;

  EmbeddedOptions options_;
  std::optional<RunAs> run_as_;
};

// The cluster for a Config whose database is embedded (<data_dir>/postgres).
EmbeddedOptions embedded_options_for(const Config& config);

}  // namespace keepsake::db
