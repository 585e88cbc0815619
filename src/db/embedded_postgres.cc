#include "db/embedded_postgres.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "db/connection.h"
#include "db/embedded_swap.h"

namespace keepsake::db {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// True when pid is a live postgres process (a pid reused by another program does not count).
bool is_postgres_process(pid_t pid) {
  return pid > 0 && read_first_line("/proc/" + std::to_string(pid) + "/comm") == "postgres";
}

void check_reachable(const std::string& dir, const std::optional<RunAs>& user) {
  if (!user) return;
  // Every ancestor must let the postgres user search it.
  for (fs::path p = fs::path(dir).parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) continue;
    bool ok = (st.st_mode & S_IXOTH) || (st.st_uid == user->uid && (st.st_mode & S_IXUSR)) ||
              (st.st_gid == user->gid && (st.st_mode & S_IXGRP));
    if (!ok) {
      throw Error(ErrorKind::kUnavailable,
                  "PostgreSQL runs as user '" + user->name + "', which cannot reach " + dir +
                      " (folder " + p.string() + " is closed to it)",
                  "set KEEPSAKE_DATA_DIR to a folder outside " + p.string() +
                      ", or run `chmod o+x " + p.string() + "`");
    }
  }
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(EmbeddedOptions options)
    : options_(std::move(options)), run_as_(postgres_run_as()) {
  options_.cluster_dir = fs::absolute(options_.cluster_dir).lexically_normal().string();
  if (options_.cluster_dir.size() > 1 && options_.cluster_dir.back() == '/') {
    options_.cluster_dir.pop_back();
  }
}

std::string EmbeddedPostgres::bindir() {
  try {
    ProcessOptions o;
    o.argv = {"pg_config", "--bindir"};
    o.env = minimal_environment();
    auto r = run_process(o);
    std::string dir = trim(r.out);
    if (r.ok() && fs::exists(dir + "/initdb")) return dir;
  } catch (const Error&) {
  }
  std::vector<fs::path> candidates;
  if (fs::exists("/usr/lib/postgresql")) {
    for (auto& e : fs::directory_iterator("/usr/lib/postgresql")) {
      if (fs::exists(e.path() / "bin" / "initdb")) candidates.push_back(e.path() / "bin");
    }
  }
  if (candidates.empty()) {
    throw Error(ErrorKind::kUnavailable, "no PostgreSQL server binaries (initdb) found",
                "run scripts/setup.sh, or set DB_URL to use an existing server");
  }
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoi(a.parent_path().filename().string()) < std::stoi(b.parent_path().filename().string());
  });
  return candidates.back().string();
}

ProcessResult EmbeddedPostgres::run_tool(const std::vector<std::string>& argv) const {
  ProcessOptions o;
  o.argv = argv;
  o.argv[0] = bindir() + "/" + argv[0];
  o.env = minimal_environment({{"TZ", "UTC"}});
  o.run_as = run_as_;
  o.cwd = options_.cluster_dir;
  return run_process(o);
}

bool EmbeddedPostgres::initialized() const { return fs::exists(data_dir() + "/PG_VERSION"); }

void EmbeddedPostgres::init_cluster() {
  check_reachable(options_.cluster_dir, run_as_);
  if (socket_dir().size() + 20 > 107) {
    throw Error(ErrorKind::kInvalidArgument,
                "the data folder path is too long for a PostgreSQL socket: " + socket_dir(),
                "set KEEPSAKE_DATA_DIR to a shorter path");
  }
  fs::create_directories(options_.cluster_dir);
  fs::create_directories(socket_dir());
  fs::permissions(options_.cluster_dir, fs::perms::owner_all);
  fs::permissions(socket_dir(), fs::perms::owner_all);
  if (run_as_) chown_recursive(options_.cluster_dir, *run_as_);
  if (initialized()) return;
  spdlog::info("Creating embedded PostgreSQL cluster in {}", data_dir());
  std::vector<std::string> initdb = {"initdb", "-D", data_dir(), "-U", options_.superuser,
                                     "--auth-local=trust", "--auth-host=scram-sha-256",
                                     "--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums"};
  if (options_.throwaway) initdb.push_back("--no-sync");
  auto r = run_tool(initdb);
  if (!r.ok()) {
    fs::remove_all(data_dir());
    throw Error(ErrorKind::kUnavailable, "initdb failed: " + trim(r.err));
  }
  std::ofstream(data_dir() + "/postgresql.conf", std::ios::app)
      << "\n# Keepsake's settings, rewritten at each start\ninclude_if_exists = 'keepsake.conf'\n";
}

void EmbeddedPostgres::write_settings() {
  std::ostringstream out;
  out << "listen_addresses = '" << (options_.listen_tcp ? "127.0.0.1" : "") << "'\n"
      << "port = " << options_.port << "\n"
      << "unix_socket_directories = '" << socket_dir() << "'\n"
      << "unix_socket_permissions = 0700\n"
      << "timezone = 'UTC'\n"
      << "max_connections = 200\n"
      << "shared_buffers = '256MB'\n"
      << "maintenance_work_mem = '256MB'\n"
      << "max_wal_size = '4GB'\n"
      // Ready for `keepsake pitr enable` (a replication connection and a slot; docs/PITR.md);
      // a stopped archiver can hold back at most 10GB of WAL.
      << "wal_level = replica\n"
      << "max_wal_senders = 10\n"
      << "max_replication_slots = 10\n"
      << "max_slot_wal_keep_size = '10GB'\n"
      << "logging_collector = off\n";
  if (options_.throwaway) out << "fsync = off\n";
  const std::string path = data_dir() + "/keepsake.conf";
  std::ifstream current(path);
  std::string existing((std::istreambuf_iterator<char>(current)), {});
  if (existing == out.str()) return;  // nothing to write (and a full disk cannot break it)
  // Never truncated in place: a full disk must not leave PostgreSQL without its port and socket.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.str();
    f.flush();
    if (!f) {
      fs::remove(tmp);
      throw Error(ErrorKind::kIo, "cannot write " + tmp + ": " + std::strerror(errno),
                  "free space on the disk of " + data_dir());
    }
  }
  if (run_as_) chown(tmp.c_str(), run_as_->uid, run_as_->gid);
  fs::rename(tmp, path);
}

void EmbeddedPostgres::clear_stale_pid() {
  std::string pid_file = data_dir() + "/postmaster.pid";
  if (!fs::exists(pid_file) || postmaster_alive()) return;
  spdlog::warn("Removing stale {} (its process is gone: PostgreSQL was not shut down cleanly)", pid_file);
  fs::remove(pid_file);
  for (auto& e : fs::directory_iterator(socket_dir())) {
    if (e.path().filename().string().rfind(".s.PGSQL.", 0) == 0) fs::remove(e.path());
  }
}

bool EmbeddedPostgres::postmaster_alive() const {
  try {
    return is_postgres_process(std::stoi(read_first_line(data_dir() + "/postmaster.pid")));
  } catch (...) {
    return false;
  }
}

bool EmbeddedPostgres::running() const {
  if (!initialized()) return false;
  auto r = run_tool({"pg_ctl", "status", "-D", data_dir()});
  return r.exit_code == 0;
}

void EmbeddedPostgres::start() {
  fs::create_directories(options_.cluster_dir);
  ClusterLock lock(options_.cluster_dir);
  start_locked();
}

void EmbeddedPostgres::start_locked() {
  put_back_interrupted_swap();
  init_cluster();
  if (running()) {
    spdlog::info("Embedded PostgreSQL already running ({})", data_dir());
  } else {
    clear_stale_pid();
    write_settings();
    spdlog::info("Starting embedded PostgreSQL ({})", data_dir());
    auto r = run_tool({"pg_ctl", "start", "-w", "-t", "120", "-D", data_dir(), "-l", log_file()});
    if (!r.ok()) {
      std::string tail;
      std::ifstream in(log_file());
      std::string line;
      while (std::getline(in, line)) tail = line;
      throw Error(ErrorKind::kUnavailable,
                  "cannot start embedded PostgreSQL: " + trim(r.err.empty() ? r.out : r.err) +
                      (tail.empty() ? "" : " (last log line: " + tail + ")"),
                  "see " + log_file());
    }
  }
  ensure_database();
}

void EmbeddedPostgres::ensure_database() {
  if (options_.database.empty()) return;
  auto conn = Connection::open(connection_config("postgres"));
  auto r = conn->exec("SELECT 1 FROM pg_database WHERE datname = $1", {options_.database});
  if (r.empty()) {
    conn->exec("CREATE DATABASE " + quote_ident(options_.database), {}, "create database");
  }
}

void EmbeddedPostgres::stop() {
  if (!running()) return;
  spdlog::info("Stopping embedded PostgreSQL");
  auto r = run_tool({"pg_ctl", "stop", "-w", "-t", "120", "-m", "fast", "-D", data_dir()});
  if (!r.ok()) throw Error(ErrorKind::kUnavailable, "cannot stop embedded PostgreSQL: " + trim(r.err));
}

DatabaseConfig EmbeddedPostgres::connection_config(const std::string& dbname) const {
  DatabaseConfig c;
  c.host = socket_dir();
  c.port = std::to_string(options_.port);
  c.user = options_.superuser;
  c.dbname = dbname.empty() ? options_.database : dbname;
  c.embedded = true;
  return c;
}

EmbeddedOptions embedded_options_for(const Config& config) {
  EmbeddedOptions o;
  o.cluster_dir = config.data_dir + "/postgres";
  o.database = config.db.dbname.empty() ? "immich" : config.db.dbname;
  return o;
}

bool is_own_embedded_cluster(const Config& config) {
  return config.db.embedded && config.db.host == EmbeddedPostgres(embedded_options_for(config)).socket_dir();
}

}  // namespace keepsake::db
