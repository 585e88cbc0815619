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

std::vector<std::string> receivewal_argv(const std::string& tool, const Archive& archive, const ArchiveState& state) {
  return {tool, "-D", archive.wal_dir(), "--slot", state.slot, "--synchronous", "--no-loop", "--no-password",
          "--status-interval=1"};
}

ArchiveState require_state(const Archive& archive) {
  auto state = archive.read_state();
  if (!state) {
    throw Error(ErrorKind::kNotFound, "PITR is not enabled for " + archive.dir(), "run `keepsake pitr enable`");
  }
  return *state;
}

}  // namespace

std::string stream_until_current(const DatabaseConfig& db, const std::string& archive_dir,
                                 std::chrono::seconds timeout) {
  Archive archive(archive_dir);
  auto state = require_state(archive);
  auto conn = db::Connection::open(db);
  std::string lsn = conn->exec("SELECT pg_current_wal_lsn()::text", {}, "read WAL position").text(0, 0);
  // pg_receivewal stops only once it receives WAL past --endpos: a transaction id's commit
  // record puts some there now (any role may), instead of the server's next idle-time record.
  conn->exec("SELECT pg_current_xact_id()", {}, "write a commit record");
  auto argv = receivewal_argv(tool_path("pg_receivewal", conn->server_version_num() / 10000), archive, state);
  argv.push_back("--endpos=" + lsn);
  auto r = run_tool(argv, tool_env(db), timeout);
  if (!r.ok()) {
    throw Error(ErrorKind::kUnavailable, "pg_receivewal failed: " + last_line(r.err),
                "`keepsake pitr status` shows the slot's state");
  }
  return lsn;
}

struct WalStreamer::State {
  DatabaseConfig db;
  Archive archive;
  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  pid_t child = 0;
  int runs = 0;
  bool finished = false;
  std::thread thread;

  State(DatabaseConfig d, std::string dir) : db(std::move(d)), archive(std::move(dir)) {}

  // One run of pg_receivewal; returns when it exits (or throws when it cannot start).
  ProcessResult run_once(const std::vector<std::string>& argv) {
    ProcessOptions o;
    o.argv = argv;
    o.env = tool_env(db);
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
    loop();
    std::lock_guard lock(m);
    finished = true;
    cv.notify_all();
  }

  void loop() {
    auto backoff = std::chrono::seconds(1);
    bool failing = false;
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
                  "): " + last_line(r.err);
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
      else spdlog::debug("PITR: WAL streaming still failing: {}", failure);
      failing = true;
      cv.wait_for(lock, backoff, [this] { return stopping; });
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
};

WalStreamer::WalStreamer(DatabaseConfig db, std::string archive_dir)
    : state_(std::make_unique<State>(std::move(db), std::move(archive_dir))) {}

WalStreamer::~WalStreamer() { stop(); }

void WalStreamer::start() {
  if (state_->thread.joinable()) return;
  spdlog::info("PITR: streaming WAL into {}", state_->archive.wal_dir());
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

// SIGINT lets pg_receivewal finish its write; one that does not exit within 10 s is killed
// (with --synchronous, what it received is already on disk).
void WalStreamer::stop() {
  if (!state_->thread.joinable()) return;
  {
    std::unique_lock lock(state_->m);
    state_->stopping = true;
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

std::unique_ptr<WalStreamer> start_streaming_if_enabled(const Config& config, const DatabaseConfig& db) {
  std::string dir = archive_dir_for(config);
  if (!is_enabled(dir)) {
    if (!(kEnabledByDefaultForEmbedded && db.embedded)) return nullptr;
    try {
      enable({.db = db, .archive_dir = dir});
    } catch (const std::exception& e) {
      spdlog::warn("PITR: cannot enable archiving for the embedded cluster: {}", e.what());
      return nullptr;
    }
  }
  auto streamer = std::make_unique<WalStreamer>(db, dir);
  streamer->start();
  return streamer;
}

}  // namespace keepsake::pitr
