// `keepsake serve` as a real process: embedded PostgreSQL in a temp data dir, ping, clean stop on
// SIGINT, reuse, recovery after kill -9, and bad configurations.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness/test_cluster.h"

namespace keepsake {
namespace {

using keepsake::testing::TempDir;
using Env = std::map<std::string, std::string>;

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The binary with exactly `env` (plus PATH), stdout/stderr to files in `dir`.
class Process {
 public:
  Process(const Env& env, const std::string& dir, std::vector<std::string> args = {"serve"})
      : out_(dir + "/stdout." + std::to_string(++count_) + ".log"),
        err_(dir + "/stderr." + std::to_string(count_) + ".log") {
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin"};
      for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
      std::vector<char*> envp, argv = {const_cast<char*>(KEEPSAKE_BINARY)};
      for (auto& s : env_strings) envp.push_back(s.data());
      for (auto& a : args) argv.push_back(a.data());
      envp.push_back(nullptr);
      argv.push_back(nullptr);
      execve(KEEPSAKE_BINARY, argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits (bounded) until stderr contains `text`; false if the process exits first.
  bool wait_for_log(const std::string& text, int seconds = 180) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (stderr_text().find(text) != std::string::npos) return true;
      if (poll_exit()) return stderr_text().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Waits (bounded) for the exit; returns the exit code, or -1 on a signal / timeout.
  int wait_exit(int seconds = 120) {
    for (int i = 0; i < seconds * 10 && !poll_exit(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  void signal(int sig) { kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  std::string stderr_text() const { return read_file(err_); }

 private:
  bool poll_exit() {
    if (!exited_ && waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return exited_;
  }
  static inline int count_ = 0;
  std::string out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

pid_t postmaster_pid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postgres/data/postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

bool process_alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

bool wait_until_dead(pid_t pid) {
  for (int i = 0; i < 300 && process_alive(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !process_alive(pid);
}

// Kills a leftover embedded postmaster when a test fails half-way.
struct PostmasterReaper {
  std::string data_dir;
  ~PostmasterReaper() {
    pid_t pid = postmaster_pid(data_dir);
    if (process_alive(pid)) kill(pid, SIGKILL);
  }
};

std::string ping(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(30, 0);
  auto res = c.Get("/api/server/ping");
  return res ? res->body : "no answer: " + httplib::to_string(res.error());
}

TEST(ServeCommand, EmbeddedServeAnswersStopsCleanlyReusesAndRecoversFromKill9) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  int port = free_port();
  Env env = {{"KEEPSAKE_DATA_DIR", data},
             {"IMMICH_HOST", "127.0.0.1"},
             {"IMMICH_PORT", std::to_string(port)}};
  PostmasterReaper reaper{data};
  {
    Process serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening on http://127.0.0.1:" +
                                   std::to_string(port)))
        << serve.stderr_text();
    EXPECT_EQ(ping(port), R"({"res":"pong"})");
    pid_t postmaster = postmaster_pid(data);
    ASSERT_TRUE(process_alive(postmaster));
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
    EXPECT_TRUE(wait_until_dead(postmaster));
    EXPECT_FALSE(std::filesystem::exists(data + "/postgres/data/postmaster.pid"));
  }
  {
    // Reuses the cluster; then both keepsake and the postmaster die hard.
    Process serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
    EXPECT_EQ(serve.stderr_text().find("initdb"), std::string::npos);
    EXPECT_EQ(ping(port), R"({"res":"pong"})");
    pid_t postmaster = postmaster_pid(data);
    ASSERT_TRUE(process_alive(postmaster));
    serve.signal(SIGKILL);
    kill(postmaster, SIGKILL);
    serve.wait_exit();
    ASSERT_TRUE(wait_until_dead(postmaster));
  }
  {
    Process serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
    EXPECT_EQ(ping(port), R"({"res":"pong"})");
    pid_t postmaster = postmaster_pid(data);
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
    EXPECT_TRUE(wait_until_dead(postmaster));
  }
}

// Runs serve with a bad configuration; expects a non-zero exit and exactly one stderr line.
std::string failing_serve(const Env& env) {
  TempDir dir;
  Env full = env;
  full["KEEPSAKE_DATA_DIR"] = dir.path() + "/data";
  full["IMMICH_HOST"] = "127.0.0.1";
  if (!full.count("IMMICH_PORT")) full["IMMICH_PORT"] = std::to_string(free_port());
  Process serve(full, dir.path());
  int code = serve.wait_exit();
  std::string err = serve.stderr_text();
  EXPECT_NE(code, 0) << err;
  EXPECT_NE(code, -1) << "serve did not exit: " << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.rfind("keepsake: error: ", 0), 0u) << err;
  return err;
}

TEST(ServeCommand, BadConfigurationsFailWithOneLineAndNoPassword) {
  const std::string secret = "Sup3r-Secret-pw";
  std::string err = failing_serve(
      {{"DB_URL", "postgresql://u:" + secret + "@127.0.0.1:1/immich?sslmode=sometimes"}});
  EXPECT_NE(err.find("sslmode"), std::string::npos) << err;
  EXPECT_EQ(err.find(secret), std::string::npos) << err;

  err = failing_serve({{"IMMICH_PORT", "eighty"}});
  EXPECT_NE(err.find("IMMICH_PORT"), std::string::npos) << err;

  err = failing_serve({{"DB_SKIP_MIGRATIONS", "maybe"}});
  EXPECT_NE(err.find("DB_SKIP_MIGRATIONS"), std::string::npos) << err;

  err = failing_serve({{"DB_HOSTNAME", "127.0.0.1"},
                       {"DB_PORT", std::to_string(free_port())},
                       {"DB_PASSWORD", secret}});
  EXPECT_NE(err.find("127.0.0.1"), std::string::npos) << err;
  EXPECT_EQ(err.find(secret), std::string::npos) << err;
}

TEST(ServeCommand, WrongPasswordFailsWithOneLineAndNoPassword) {
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  std::string role = "serve_pw_" + std::to_string(getpid());
  admin->exec_script("DROP ROLE IF EXISTS " + db::quote_ident(role) + "; CREATE ROLE " +
                     db::quote_ident(role) + " LOGIN PASSWORD 'right-password'");
  const std::string wrong = "Wr0ng-Password-x";
  std::string err = failing_serve({{"DB_HOSTNAME", "127.0.0.1"},
                                   {"DB_PORT", std::to_string(keepsake::testing::cluster().port)},
                                   {"DB_USERNAME", role},
                                   {"DB_PASSWORD", wrong},
                                   {"DB_DATABASE_NAME", "postgres"}});
  EXPECT_EQ(err.find(wrong), std::string::npos) << err;
  EXPECT_NE(err.find("password"), std::string::npos) << err;
  admin->exec_script("DROP ROLE IF EXISTS " + db::quote_ident(role));
}

}  // namespace
}  // namespace keepsake
