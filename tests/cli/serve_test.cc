// `keepsake serve` as a real process: embedded PostgreSQL in a temp data dir, ping, clean stop on
// SIGINT, reuse, recovery after kill -9, and bad configurations.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness/keepsake_process.h"
#include "harness/test_cluster.h"

namespace keepsake {
namespace {

using keepsake::testing::TempDir;
using keepsake::testing::free_port;
using keepsake::testing::KeepsakeProcess;
using keepsake::testing::read_file;
using Env = std::map<std::string, std::string>;

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
  // PITR's first base backup would only slow this test down (EmbeddedServeEnablesPitr... has it).
  Env env = {{"KEEPSAKE_DATA_DIR", data},
             {"IMMICH_HOST", "127.0.0.1"},
             {"IMMICH_PORT", std::to_string(port)},
             {"KEEPSAKE_PITR_AUTO_ENABLE", "false"}};
  PostmasterReaper reaper{data};
  {
    KeepsakeProcess serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening on http://127.0.0.1:" +
                                   std::to_string(port)))
        << serve.stderr_text();
    EXPECT_NE(serve.stderr_text().find("Creating embedded PostgreSQL cluster"), std::string::npos);
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
    KeepsakeProcess serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
    EXPECT_EQ(serve.stderr_text().find("Creating embedded PostgreSQL cluster"), std::string::npos);
    EXPECT_EQ(ping(port), R"({"res":"pong"})");
    pid_t postmaster = postmaster_pid(data);
    ASSERT_TRUE(process_alive(postmaster));
    serve.signal(SIGKILL);
    kill(postmaster, SIGKILL);
    serve.wait_exit();
    ASSERT_TRUE(wait_until_dead(postmaster));
  }
  {
    KeepsakeProcess serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
    EXPECT_EQ(ping(port), R"({"res":"pong"})");
    pid_t postmaster = postmaster_pid(data);
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
    EXPECT_TRUE(wait_until_dead(postmaster));
  }
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// `keepsake pitr status --json` beside a running serve: its JSON (stdout) and exit code.
std::pair<nlohmann::json, int> pitr_status(const Env& env, const std::string& dir) {
  KeepsakeProcess status(env, dir, {"pitr", "status", "--json"});
  int code = status.wait_exit();
  auto json = nlohmann::json::parse(status.stdout_text(), nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << status.stdout_text() << status.stderr_text();
  return {json, code};
}

// One embedded cluster, three starts (46 s with ctest -j2 under a load of 15, as long as the
// embedded test above: initdb, three ASan starts, the last with the first base backup; one test
// rather than three, so initdb runs once): switched off, nothing is enabled and the log says how once; a failure to
// enable (the archive's wal folder is a file) is a warning, an admin notification and a `pitr status` problem
// while the server answers; a serve killed during the first base backup leaves nothing the next start
// cannot finish; by default the archive is enabled in the background and streamed.
TEST(ServeCommand, EmbeddedServeEnablesPitrUnlessSwitchedOffAndBootsWhenItCannot) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  int port = free_port();
  Env env = {{"KEEPSAKE_DATA_DIR", data}, {"IMMICH_HOST", "127.0.0.1"}, {"IMMICH_PORT", std::to_string(port)}};
  PostmasterReaper reaper{data};
  {
    Env off = env;
    off["KEEPSAKE_PITR_AUTO_ENABLE"] = "false";
    KeepsakeProcess serve(off, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
    EXPECT_EQ(occurrences(serve.stderr_text(), "`keepsake pitr enable` turns it on"), 1u) << serve.stderr_text();
    EXPECT_EQ(serve.stderr_text().find("enabling point-in-time recovery"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(data + "/pitr"));
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
  }
  std::filesystem::create_directories(data + "/pitr");
  std::ofstream(data + "/pitr/wal") << "not a folder";
  {
    KeepsakeProcess serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("Keepsake Server is listening")) << serve.stderr_text();
    ASSERT_TRUE(serve.wait_for_log("cannot enable point-in-time recovery for the embedded cluster", 60))
        << serve.stderr_text();
    EXPECT_EQ(ping(port), R"({"res":"pong"})");
    auto [status, code] = pitr_status(env, dir.path());
    EXPECT_NE(code, 0);
    EXPECT_FALSE(status.value("enabled", true));
    EXPECT_EQ(status["problemKinds"], nlohmann::json::array({"enable-failed"})) << status.dump();
    EXPECT_THAT(status["problems"][0].get<std::string>(), ::testing::HasSubstr("could not enable point-in-time recovery"));
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
    // The admin notification the other PITR problems send (no admin exists yet: only its log line).
    EXPECT_EQ(occurrences(serve.stderr_text(), "Unable to run job handler (PitrArchive): point-in-time recovery: could not enable"), 1u)
        << serve.stderr_text();
  }
  std::filesystem::remove(data + "/pitr/wal");
  {
    // Killed (-9) during the first base backup: the next start finishes enabling.
    Env killed = env;
    killed["KEEPSAKE_FAULT"] = "pitr.base-backup.taken:kill";
    KeepsakeProcess serve(killed, dir.path());
    serve.wait_exit();
    ASSERT_NE(serve.stderr_text().find("PITR: taking base backup"), std::string::npos) << serve.stderr_text();
    EXPECT_EQ(serve.stderr_text().find("PITR: enabled"), std::string::npos) << serve.stderr_text();
  }
  {
    KeepsakeProcess serve(env, dir.path());
    ASSERT_TRUE(serve.wait_for_log("PITR: streaming WAL into " + data + "/pitr/wal", 120)) << serve.stderr_text();
    // The slot and the archive were made before the kill; the missing base backup is taken now.
    ASSERT_TRUE(serve.wait_for_log("the archive has no verified base backup", 120)) << serve.stderr_text();
    ASSERT_TRUE(serve.wait_for_log(" verified (", 120)) << serve.stderr_text();
    auto [status, code] = pitr_status(env, dir.path());
    EXPECT_TRUE(status.value("enabled", false)) << status.dump();
    EXPECT_TRUE(status["lastBaseBackup"].value("verified", false)) << status.dump();
    EXPECT_EQ(status["problemKinds"], nlohmann::json::array()) << status.dump();
    EXPECT_EQ(code, 0);
    std::vector<std::string> bases;
    for (auto& e : std::filesystem::directory_iterator(data + "/pitr/base")) bases.push_back(e.path().filename().string());
    EXPECT_EQ(bases.size(), 1u) << "the killed run's .partial base backup is removed: " << ::testing::PrintToString(bases);
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
  }
}

// Runs serve with a bad configuration; expects a non-zero exit and exactly one stderr line.
std::string failing_serve(const Env& env) {
  TempDir dir;
  Env full = env;
  full["KEEPSAKE_DATA_DIR"] = dir.path() + "/data";
  full["IMMICH_HOST"] = "127.0.0.1";
  if (!full.count("IMMICH_PORT")) full["IMMICH_PORT"] = std::to_string(free_port());
  KeepsakeProcess serve(full, dir.path());
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
