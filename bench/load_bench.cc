// Benchmark "load" (issue 20): the real `keepsake serve` under concurrent HTTP clients on loopback
// (login, smart search by embedding, backup list, job status, maintenance status), first quiet,
// then while a backup, a restore into a scratch database and a vector reindex run beside it.
// Records throughput, p50/p99/max latency and errors per request kind, and the server's peak RSS
// next to the library's size. Anchor: the same load on the quiet server, in the same run. Its
// figures also go into docs/RELIABILITY.md (section "load"), written by this tool.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/process.h"
#include "harness.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kClientsPerCore = 4;
constexpr int kQuietSeconds = 20;
constexpr int kDimension = 512;
constexpr const char* kPassword = "load-test-password";

enum Kind { kLogin, kSearch, kBackups, kJobs, kMaintenance, kKindCount };
constexpr const char* kKindLabels[] = {"login", "smart search (embedding)", "backup list", "job status",
                                       "maintenance status"};
// One round of a client: searches dominate, as a browsing family does; a login now and then
// (bcrypt is expensive on purpose).
constexpr Kind kRound[] = {kSearch, kBackups, kSearch, kJobs, kSearch, kMaintenance, kSearch, kBackups,
                           kSearch, kJobs, kSearch, kMaintenance, kSearch, kSearch, kSearch, kBackups,
                           kSearch, kJobs, kSearch, kLogin};

struct Tally {
  std::vector<double> ms[kKindCount];
  int64_t errors[kKindCount] = {};
  std::vector<std::string> first_errors;
  void add(const Tally& o) {
    for (int k = 0; k < kKindCount; ++k) {
      ms[k].insert(ms[k].end(), o.ms[k].begin(), o.ms[k].end());
      errors[k] += o.errors[k];
    }
    for (const auto& e : o.first_errors) {
      if (first_errors.size() < 5) first_errors.push_back(e);
    }
  }
};

struct PhaseResult {
  std::string name;
  double seconds = 0;
  Tally tally;
};

std::string random_embedding(std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(kDimension);
  double norm = 0;
  for (float& x : v) {
    x = normal(rng);
    norm += x * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return nlohmann::json{{"embedding", v}, {"size", 10}}.dump();
}

// One client: logs in, then requests rounds until `stop`. Every answer that is not 2xx is an error.
Tally run_client(int port, const std::string& email, int seed, const std::atomic<bool>& stop) {
  Tally t;
  std::mt19937 rng(seed);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120);
  const std::string login_body = nlohmann::json{{"email", email}, {"password", kPassword}}.dump();
  std::string token;
  auto request = [&](Kind kind) {
    httplib::Headers auth = {{"Authorization", "Bearer " + token}};
    const std::string search_body = kind == kSearch ? random_embedding(rng) : "";
    auto start = Clock::now();
    auto send = [&]() -> httplib::Result {
      switch (kind) {
        case kLogin: return client.Post("/api/auth/login", login_body, "application/json");
        case kSearch: return client.Post("/api/search/smart", auth, search_body, "application/json");
        case kBackups: return client.Get("/api/admin/database-backups", auth);
        case kJobs: return client.Get("/api/jobs", auth);
        default: return client.Get("/api/admin/maintenance/status", auth);
      }
    };
    httplib::Result res = send();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    bool ok = res && res->status >= 200 && res->status < 300;
    if (ok && kind == kLogin) token = nlohmann::json::parse(res->body).value("accessToken", "");
    t.ms[kind].push_back(ms);
    if (!ok) {
      ++t.errors[kind];
      if (t.first_errors.size() < 5) {
        t.first_errors.push_back(std::string(kKindLabels[kind]) + ": " +
                                 (res ? std::to_string(res->status) + " " + res->body.substr(0, 200)
                                      : httplib::to_string(res.error())));
      }
    }
  };
  request(kLogin);
  for (size_t i = 0; !stop.load(); ++i) request(kRound[i % std::size(kRound)]);
  return t;
}

// `clients` clients until `until` returns true (checked every 100 ms).
PhaseResult run_phase(const std::string& name, int port, const std::string& email, int clients,
                      const std::function<bool()>& until) {
  std::atomic<bool> stop{false};
  std::vector<std::future<Tally>> futures;
  auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    futures.push_back(std::async(std::launch::async, run_client, port, email, c + 1, std::cref(stop)));
  }
  while (!until()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  PhaseResult r{name, 0, {}};
  for (auto& f : futures) r.tally.add(f.get());
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(p * v.size())) - (p > 0 ? 1 : 0))];
}

// The server as a child process, stopped (SIGTERM) when this goes away.
class ServeProcess {
 public:
  ServeProcess(const std::string& binary, std::map<std::string, std::string> env, const std::string& log) {
    ProcessOptions o;
    o.argv = {binary, "serve"};
    o.env = minimal_environment(env);
    std::promise<pid_t> started;
    auto pid = started.get_future();
    thread_ = std::thread([o, log, p = std::move(started)]() mutable {
      std::ofstream out(log + ".out");
      try {
        run_process_streaming(o, [&](std::string_view s) { out << s; }, [&](pid_t child) { p.set_value(child); });
      } catch (...) {
      }
    });
    pid_ = pid.get();
  }
  ~ServeProcess() {
    ::kill(pid_, SIGTERM);
    thread_.join();
  }
  pid_t pid() const { return pid_; }
  // VmHWM: the most resident memory the process has had, in MiB.
  double peak_rss_mib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024;
    }
    return 0;
  }

 private:
  pid_t pid_ = 0;
  std::thread thread_;
};

bool wait_until_up(int port, int seconds) {
  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < seconds * 10; ++i) {
    auto res = client.Get("/api/server/ping");
    if (res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// A TCP port on 127.0.0.1 that was free a moment ago (the socket is closed before returning).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw Error(ErrorKind::kIo, "cannot find a free TCP port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

class LoadBench : public Benchmark {
 public:
  std::string name() const override { return "load"; }
  std::string title() const override { return "load — the HTTP server under concurrent clients while a backup, a restore and a reindex run"; }
  std::string description() const override {
    return "The real `keepsake serve` (Release) on loopback, driven by " + std::to_string(kClientsPerCore) +
           " clients per core, each logged in as the library's admin, requesting in rounds: smart search "
           "with a random 512-d embedding (top 10, the admin's assets), the backup list, job status, "
           "maintenance status, and a login (bcrypt) every 20 requests. First " +
           std::to_string(kQuietSeconds) +
           " s on a quiet server (the anchor), then while `keepsake backup create`, `keepsake restore` of "
           "that backup into a scratch database (beside, its own connections) and `keepsake vector "
           "reindex` run beside the server, until all three are done. An error is any answer that is "
           "not 2xx, or none.";
  }
  int64_t default_size() const override { return 100000; }
  std::string size_unit() const override { return "assets"; }
  int default_runs() const override { return 1; }

  void prepare(BenchEnv& env, int64_t size) override {
    SeededLibrary lib = env.seeded_library(library_seed_args(size, ""));
    db_ = "load_" + std::to_string(size);
    env.copy_database(lib.dbname, db_);
    auto conn = db::Connection::open(env.database(db_));
    email_ = conn->exec("SELECT email FROM \"user\" WHERE \"isAdmin\" ORDER BY \"createdAt\" LIMIT 1").text(0, 0);
    database_mib_ = static_cast<double>(conn->exec("SELECT pg_database_size(current_database())").int64(0, 0)) / 1048576;
    std::string password_file = env.work_dir() + "/password";
    std::ofstream(password_file) << kPassword << "\n" << kPassword << "\n";
    ProcessOptions o;
    o.argv = {env.keepsake_binary(), "admin", "reset-password", "--email", email_};
    o.env = minimal_environment(env.keepsake_env(db_));
    o.stdin_file = password_file;
    ProcessResult r = run_process(o);
    if (!r.ok()) throw Error(ErrorKind::kInternal, "admin reset-password failed: " + r.err);
  }

  std::optional<std::string> own_results(BenchEnv& env, int64_t size, int) override {
    const int clients = kClientsPerCore * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int port = free_port();
    auto serve_env = env.keepsake_env(db_);
    serve_env["IMMICH_PORT"] = std::to_string(port);
    serve_env["IMMICH_HOST"] = "127.0.0.1";
    ServeProcess serve(env.keepsake_binary(), serve_env, env.work_dir() + "/serve.log");
    if (!wait_until_up(port, 300)) throw Error(ErrorKind::kInternal, "keepsake serve did not answer; see " + env.work_dir() + "/serve.log.out");

    std::cerr << "  quiet: " << clients << " clients for " << kQuietSeconds << " s\n";
    auto quiet_end = Clock::now() + std::chrono::seconds(kQuietSeconds);
    PhaseResult quiet = run_phase("quiet server (anchor)", port, email_, clients, [&] { return Clock::now() >= quiet_end; });

    std::cerr << "  busy: backup, restore into a scratch database and reindex beside the server\n";
    std::atomic<bool> running{true};
    auto busy_started = Clock::now();
    auto work = std::async(std::launch::async, [&] {
      std::vector<std::string> lines;
      auto timed = [&](const std::string& what, const std::vector<std::string>& argv, const std::map<std::string, std::string>& e) {
        auto start = Clock::now();
        ProcessResult r = env.run(argv, e);
        lines.push_back(what + ": " + fixed_text(std::chrono::duration<double>(Clock::now() - start).count(), 1) + " s");
        return r;
      };
      auto e = env.keepsake_env(db_);
      ProcessResult backup = timed("`keepsake backup create`", {env.keepsake_binary(), "backup", "create"}, e);
      std::string file = fs::path(backup.out.substr(0, backup.out.find('\n'))).filename().string();
      std::string scratch = env.create_bootstrapped_database("load_scratch");
      auto restore = std::async(std::launch::async, [&] {
        return timed("`keepsake restore " + file + " --yes` into a scratch database",
                     {env.keepsake_binary(), "restore", file, "--yes"}, env.keepsake_env(scratch));
      });
      timed("`keepsake vector reindex`", {env.keepsake_binary(), "vector", "reindex"}, e);
      restore.get();
      running = false;
      return lines;
    });
    PhaseResult busy = run_phase("during backup + restore + reindex", port, email_, clients, [&] {
      return !running && Clock::now() - busy_started >= std::chrono::seconds(kQuietSeconds);
    });
    std::vector<std::string> background = work.get();
    peak_rss_mib_ = serve.peak_rss_mib();

    std::ostringstream md;
    md << "| phase | request | requests | req/s | p50 | p99 | max | errors |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    int64_t total_errors = 0;
    for (const PhaseResult* p : {&quiet, &busy}) {
      for (int k = 0; k < kKindCount; ++k) {
        const auto& ms = p->tally.ms[k];
        total_errors += p->tally.errors[k];
        md << "| " << p->name << " | " << kKindLabels[k] << " | " << ms.size() << " | "
           << fixed_text(ms.size() / p->seconds, 1) << " | " << fixed_text(percentile(ms, 0.5), 1) << " ms | "
           << fixed_text(percentile(ms, 0.99), 1) << " ms | " << fixed_text(ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()), 1)
           << " ms | " << p->tally.errors[k] << " |\n";
      }
    }
    auto search_p99 = [](const PhaseResult& p) { return percentile(p.tally.ms[kSearch], 0.99); };
    md << "\n" << clients << " clients on " << std::thread::hardware_concurrency() << " cores; library: "
       << size << " assets, database " << fixed_text(database_mib_, 0) << " MiB. **Errors: " << total_errors
       << "**. Search p99: " << fixed_text(search_p99(quiet), 1) << " ms quiet, " << fixed_text(search_p99(busy), 1)
       << " ms busy (ratio " << fixed_text(search_p99(busy) / std::max(0.001, search_p99(quiet)), 2)
       << "). Server peak RSS (VmHWM): **" << fixed_text(peak_rss_mib_, 0) << " MiB**.\n\nBeside the server:\n";
    for (const auto& line : background) md << "- " << line << "\n";
    for (const PhaseResult* p : {&quiet, &busy}) {
      for (const auto& e : p->tally.first_errors) md << "- error (" << p->name << "): " << e << "\n";
    }
    write_section(std::string(KEEPSAKE_SOURCE_DIR) + "/docs/RELIABILITY.md", "load",
                  "### Load held (written by `bench/run.sh --only load`)\n\n" + md.str());
    return md.str();
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# once: " + seed_command(library_seed_args(size, "")) + "; keepsake admin reset-password --email <admin>",
            "keepsake serve   # IMMICH_HOST=127.0.0.1, then the clients of bench/load_bench.cc",
            "keepsake backup create; keepsake restore <that backup> --yes   # DB_URL = a scratch database",
            "keepsake vector reindex"};
  }

 private:
  std::string db_, email_;
  double database_mib_ = 0, peak_rss_mib_ = 0;
};

}  // namespace

KEEPSAKE_BENCHMARK(LoadBench);

}  // namespace keepsake::bench
