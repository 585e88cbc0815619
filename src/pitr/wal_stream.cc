// WAL streaming with pg_receivewal from the slot: once up to a position (enable, tests), or kept
// running by a supervisor thread (serve).
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace {

constexpr auto kMaxBackoff = std::chrono::seconds(60);
constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr auto kSynchronousTick = std::chrono::milliseconds(500);

std::vector<std::string> receivewal_argv(const std::string& tool, const Archive& archive, const ArchiveState& state) {
  return {tool, "-D", archive.wal_dir(), "--slot", state.slot, "--synchronous", "--no-loop", "--no-password",
          "--status-interval=1"};
}

// The name synchronous_standby_names gives in synchronous mode; never pg_basebackup's.
std::map<std::string, std::string> receivewal_env(const DatabaseConfig& db) {
  auto env = tool_env(db);
  env["PGAPPNAME"] = kApplicationName;
  return env;
}

bool archive_streams(db::Connection& conn) {
  return conn.exec("SELECT EXISTS (SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming')",
                   {std::string(kApplicationName)}, "read the WAL stream's state")
      .boolean(0, 0);
}

// Makes the server wait (or not) for pg_receivewal's flush at each commit. ALTER SYSTEM takes no
// parameters; both statements are constants.
void set_commits_wait(db::Connection& conn, bool wait, const char* why) {
  std::string wanted = wait ? kApplicationName : "";
  if (conn.exec("SELECT current_setting('synchronous_standby_names')", {}, "read setting").text(0, 0) == wanted) return;
  conn.exec(wait ? "ALTER SYSTEM SET synchronous_standby_names = 'keepsake_pitr'"
                 : "ALTER SYSTEM SET synchronous_standby_names = ''",
            {}, "set synchronous_standby_names");
  conn.exec("SELECT pg_reload_conf()", {}, "reload configuration");
  if (wait) spdlog::info("PITR: synchronous archiving on: each commit waits until the archive has its WAL");
  else spdlog::warn("PITR: commits no longer wait for the WAL archive: {}", why);
}

// pg_receivewal's error lines without its closing "disconnected", which hides the cause (a full
// disk, a missing slot) that it printed before.
std::string receivewal_failure(const std::string& err) {
  std::string out;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.ends_with("error: disconnected")) continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  return out.empty() ? last_line(err) : out;
}

ArchiveState require_state(const Archive& archive) {
  auto state = archive.read_state();
  if (!state) {
    throw Error(ErrorKind::kNotFound, "PITR is not enabled for " + archive.dir(), "run `keepsake pitr enable`");
  }
  return *state;
}

}  // namespace

std::string acknowledged_position(const DatabaseConfig& db, const std::string& archive_dir) {
  try {
    auto state = Archive(archive_dir).read_state();
    if (!state) return "";
    auto r = db::Connection::open(db)->exec(
        "SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1 AND restart_lsn IS NOT NULL",
        {state->slot}, "read the slot's position");
    return r.empty() ? "" : r.text(0, 0);
  } catch (const Error&) {
    return "";
  }
}

std::string stream_until_current(const DatabaseConfig& db, const std::string& archive_dir,
                                 std::chrono::seconds timeout) {
  Archive archive(archive_dir);
  auto state = require_state(archive);
  auto conn = db::Connection::open(db);
  std::string lsn = conn->exec("SELECT pg_current_wal_lsn()::text", {}, "read WAL position").text(0, 0);
  // pg_receivewal stops only once it receives WAL past --endpos: a transaction id's commit
  // record puts some there now (any role may), instead of the server's next idle-time record.
  // It must not wait for a synchronous archive that is not streaming yet.
  conn->exec("SET synchronous_commit = local", {}, "set synchronous_commit");
  conn->exec("SELECT pg_current_xact_id()", {}, "write a commit record");
  auto argv = receivewal_argv(tool_path("pg_receivewal", conn->server_version_num() / 10000), archive, state);
  argv.push_back("--endpos=" + lsn);
  auto r = run_tool(argv, receivewal_env(db), timeout);
  if (!r.ok()) {
    throw Error(ErrorKind::kUnavailable, "pg_receivewal failed: " + receivewal_failure(r.err),
                "`keepsake pitr status` shows the slot's state");
  }
  return lsn;
}

struct WalStreamer::State {
  DatabaseConfig db;
  Archive archive;
  bool synchronous = false;
  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  pid_t child = 0;
  int runs = 0;
  bool finished = false;
  std::thread thread;
  std::thread keeper;  // synchronous mode only

  State(DatabaseConfig d, std::string dir, bool sync)
      : db(std::move(d)), archive(std::move(dir)), synchronous(sync) {}

  // One run of pg_receivewal; returns when it exits (or throws when it cannot start).
  ProcessResult run_once(const std::vector<std::string>& argv) {
    ProcessOptions o;
    o.argv = argv;
    o.env = receivewal_env(db);
    o.run_as = postgres_run_as();
    o.cwd = "/";
    return run_process_streaming(o, [](std::string_view) {}, [this](pid_t pid) {
      std::lock_guard lock(m);
      child = pid;
      ++runs;
      if (stopping) kill(pid, SIGINT);
    });
  }

  void run() {
    if (!synchronous) clear_left_over_wait();
    loop();
    std::lock_guard lock(m);
    finished = true;
    cv.notify_all();
  }

  void loop() {
    auto backoff = std::chrono::seconds(1);
    bool failing = false;
    std::string last_failure;
    while (true) {
      {
        std::lock_guard lock(m);
        if (stopping) return;
      }
      auto started = std::chrono::steady_clock::now();
      std::string failure;
      try {
        auto state = require_state(archive);
        int major = db::Connection::open(db)->server_version_num() / 10000;
        auto r = run_once(receivewal_argv(tool_path("pg_receivewal", major), archive, state));
        failure = "pg_receivewal exited (" + (r.signal ? "signal " + std::to_string(r.signal)
                                                       : "code " + std::to_string(r.exit_code)) +
                  "): " + receivewal_failure(r.err);
      } catch (const std::exception& e) {
        failure = e.what();
      }
      std::unique_lock lock(m);
      child = 0;
      if (stopping) return;
      if (!archive.read_state()) {
        spdlog::info("PITR: archiving was disabled; WAL streaming stops");
        return;
      }
      if (std::chrono::steady_clock::now() - started > kMaxBackoff) {
        if (failing) spdlog::info("PITR: WAL streaming had resumed");
        failing = false;
        backoff = std::chrono::seconds(1);
      }
      if (!failing) spdlog::warn("PITR: WAL streaming stopped: {}; restarting (backoff up to 60 s)", failure);
      else if (failure != last_failure) spdlog::warn("PITR: WAL streaming still failing, now: {}", failure);
      else spdlog::debug("PITR: WAL streaming still failing: {}", failure);
      failing = true;
      last_failure = failure;
      cv.wait_for(lock, backoff, [this] { return stopping; });
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  // A synchronous run killed before it could switch the wait off left it in
  // postgresql.auto.conf: in asynchronous mode nothing would switch it off.
  void clear_left_over_wait() {
    try {
      auto conn = db::Connection::open(db);
      if (conn->exec("SELECT current_setting('synchronous_standby_names')", {}, "read setting").text(0, 0) ==
          kApplicationName) {
        set_commits_wait(*conn, false, "synchronous archiving is off");
      }
    } catch (const std::exception& e) {
      spdlog::warn("PITR: synchronous archiving is off, but cannot check or clear synchronous_standby_names = '{}' "
                   "(commits may wait for the archive): {}", kApplicationName, e.what());
    }
  }

  // Commits wait for the archive only while it streams; never after stop() began.
  void keep_synchronous() {
    std::unique_ptr<db::Connection> conn;
    bool failing = false;
    auto tick = [&](bool stopping_now) {
      try {
        if (!conn) conn = db::Connection::open(db);
        set_commits_wait(*conn, !stopping_now && archive_streams(*conn),
                         stopping_now ? "the WAL stream stops" : "the WAL stream is not running (synchronous archiving suspended)");
        failing = false;
      } catch (const std::exception& e) {
        conn.reset();
        if (!failing) spdlog::warn("PITR: cannot switch synchronous archiving: {}", e.what());
        failing = true;
      }
    };
    std::unique_lock lock(m);
    while (!stopping) {
      lock.unlock();
      tick(false);
      lock.lock();
      cv.wait_for(lock, kSynchronousTick, [this] { return stopping; });
    }
    lock.unlock();
    tick(true);
  }
};

WalStreamer::WalStreamer(DatabaseConfig db, std::string archive_dir, bool synchronous)
    : state_(std::make_unique<State>(std::move(db), std::move(archive_dir), synchronous)) {}

WalStreamer::~WalStreamer() { stop(); }

void WalStreamer::start() {
  if (state_->thread.joinable()) return;
  spdlog::info("PITR: streaming WAL into {}", state_->archive.wal_dir());
  state_->thread = std::thread([s = state_.get()] { s->run(); });
  if (state_->synchronous) state_->keeper = std::thread([s = state_.get()] { s->keep_synchronous(); });
}

// SIGINT lets pg_receivewal finish its write; one that does not exit within 10 s is killed
// (with --synchronous, what it received is already on disk). In synchronous mode commits stop
// waiting for the archive first.
void WalStreamer::stop() {
  if (!state_->thread.joinable()) return;
  {
    std::lock_guard lock(state_->m);
    state_->stopping = true;
    state_->cv.notify_all();
  }
  if (state_->keeper.joinable()) state_->keeper.join();
  {
    std::unique_lock lock(state_->m);
    if (state_->child > 0) kill(state_->child, SIGINT);
    state_->cv.notify_all();
    if (!state_->cv.wait_for(lock, kStopGrace, [this] { return state_->finished; }) && state_->child > 0) {
      spdlog::warn("PITR: pg_receivewal did not stop within {} s; killing it", kStopGrace.count());
      kill(state_->child, SIGKILL);
    }
  }
  state_->thread.join();
}

int WalStreamer::runs() const {
  std::lock_guard lock(state_->m);
  return state_->runs;
}

}  // namespace keepsake::pitr
