// The embedded PostgreSQL cluster Keepsake uses when no database is configured (neither DB_URL
// nor DB_HOSTNAME): created with the system's initdb under <data dir>/postgres, listening on a
// Unix socket only (optionally also on 127.0.0.1 for tests), run as the unprivileged 'postgres'
// user when Keepsake is root. Recovers from a stale postmaster.pid after a crash. Its data folder
// can be replaced by another cluster's (a point-in-time restore), journaled so that a kill half
// way is rolled back by the next start.
// Never listens on a non-loopback address; never runs PostgreSQL as root; never creates a new,
// empty cluster where a swap left the data folder set aside.
#pragma once

#include <optional>
#include <string>
#include <string_view>

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
  // runs. Clears a stale postmaster.pid first; puts back a data folder that a swap killed half
  // way had set aside. Creates the database when missing. Holds the cluster lock meanwhile.
  void start();
  // Fast shutdown; waits until stopped. No-op when not running.
  void stop();
  bool running() const;
  bool initialized() const;
  // True while the postmaster named by postmaster.pid lives: a cheap check, no child process.
  bool postmaster_alive() const;

  // Puts the stopped cluster in `incoming` (a data folder on the same filesystem, e.g. a folder in
  // cluster_dir) in the place of data/, which is kept as <cluster_dir>/<keep_as>: stops the
  // cluster, renames both, starts it. Holds the cluster lock, and journals the swap in
  // <cluster_dir>/data-swap.json: a kill between the two renames is rolled back by the next
  // start(). When the new cluster does not start, it goes back to `incoming`, the old one is put
  // back and started again, and Error(kUnavailable) says why. Fault points: kEmbeddedSwapPhases.
  void replace_data(const std::string& incoming, const std::string& keep_as);
  // True while another object or process holds the cluster lock (a start or a swap under way).
  bool busy() const;

  // How to connect (socket directory as host, trust auth for the local socket).
  DatabaseConfig connection_config(const std::string& dbname = {}) const;

  const EmbeddedOptions& options() const { return options_; }
  std::string data_dir() const { return options_.cluster_dir + "/data"; }
  std::string socket_dir() const { return options_.cluster_dir + "/run"; }
  std::string log_file() const { return options_.cluster_dir + "/postgres.log"; }
  std::string swap_journal() const { return options_.cluster_dir + "/data-swap.json"; }

  // Where the PostgreSQL server binaries are (pg_config --bindir, else the newest
  // /usr/lib/postgresql/<major>/bin).
  static std::string bindir();

 private:
  void start_locked();
  void put_back_interrupted_swap();
  void init_cluster();
  void write_settings();
  void clear_stale_pid();
  void ensure_database();
  ProcessResult run_tool(const std::vector<std::string>& argv) const;

  EmbeddedOptions options_;
  std::optional<RunAs> run_as_;
};

// replace_data's phases, in order: the old cluster stopped, its data folder set aside (no data/
// until the next rename: a kill here is rolled back), the new one renamed into place (started
// next; a kill here leaves it in place).
inline constexpr std::string_view kEmbeddedSwapPhases[] = {"embedded-swap.stopped", "embedded-swap.set-aside",
                                                           "embedded-swap.renamed"};

// The cluster for a Config whose database is embedded (<data_dir>/postgres).
EmbeddedOptions embedded_options_for(const Config& config);
// True when the Config's database is that cluster (reached on its socket).
bool is_own_embedded_cluster(const Config& config);

}  // namespace keepsake::db
