// `keepsake admin create` / `reset-password` as a real process: the password comes from standard
// input, never argv, and is never printed.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "auth/crypto.h"
#include "harness/test_cluster.h"
#include "harness/paths.h"

namespace keepsake {
namespace {

struct CommandRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the binary with `args`, the given environment and `input` on standard input.
CommandRun run_keepsake(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                 const std::string& input) {
  keepsake::testing::TempDir dir;
  std::string in_path = dir.path() + "/in", out_path = dir.path() + "/out",
              err_path = dir.path() + "/err";
  std::ofstream(in_path) << input;
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin"};
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<std::string> argv_strings = {keepsake::testing::keepsake_binary()};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> envp, argv;
    for (auto& s : env_strings) envp.push_back(s.data());
    for (auto& a : argv_strings) argv.push_back(a.data());
    envp.push_back(nullptr);
    argv.push_back(nullptr);
    execve(keepsake::testing::keepsake_binary().c_str(), argv.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out_path), slurp(err_path)};
}

class AdminCommandTest : public keepsake::testing::DatabaseTest {
 protected:
  std::map<std::string, std::string> env() {
    return {{"DB_URL", keepsake::testing::database_url(db_name_)},
            {"KEEPSAKE_DATA_DIR", data_.path()},
            {"IMMICH_MEDIA_LOCATION", data_.path()}};
  }
  keepsake::testing::TempDir data_;
};

TEST_F(AdminCommandTest, CreateFirstAdminAndResetPasswordFromStdin) {
  const std::string password = "Stdin-Only-Pw-1";
  CommandRun created = run_keepsake({"admin", "create", "--email", "Root@Example.com", "--name", "Root"},
                             env(), password + "\n");
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_NE(created.out.find("Created admin root@example.com"), std::string::npos) << created.out;
  EXPECT_EQ((created.out + created.err).find(password), std::string::npos);
  auto row = conn_->exec(R"(SELECT password, "isAdmin" FROM "user" WHERE email = 'root@example.com')");
  ASSERT_EQ(row.rows(), 1);
  EXPECT_TRUE(row.boolean(0, 1));
  EXPECT_TRUE(auth::verify_password(password, row.text(0, 0)));

  CommandRun second = run_keepsake({"admin", "create", "--email", "b@example.com", "--name", "B"}, env(),
                            "x\n");
  EXPECT_NE(second.code, 0);
  EXPECT_NE(second.err.find("The server already has an admin"), std::string::npos) << second.err;

  CommandRun empty = run_keepsake({"admin", "reset-password", "--email", "root@example.com"}, env(), "");
  EXPECT_NE(empty.code, 0);
  EXPECT_NE(empty.err.find("No password given"), std::string::npos) << empty.err;

  const std::string next = "Next-Pw-2";
  CommandRun reset = run_keepsake({"admin", "reset-password", "--email", "root@example.com"}, env(),
                           next + "\n");
  ASSERT_EQ(reset.code, 0) << reset.err;
  EXPECT_EQ((reset.out + reset.err).find(next), std::string::npos);
  row = conn_->exec(R"(SELECT password FROM "user" WHERE email = 'root@example.com')");
  EXPECT_TRUE(auth::verify_password(next, row.text(0, 0)));
  EXPECT_FALSE(auth::verify_password(password, row.text(0, 0)));
}

}  // namespace
}  // namespace keepsake
