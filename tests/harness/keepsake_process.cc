#include "harness/keepsake_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace keepsake::testing {

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

KeepsakeProcess::KeepsakeProcess(const std::map<std::string, std::string>& env, const std::string& dir,
                                 std::vector<std::string> args, const std::string& binary)
    : out_(dir + "/stdout." + std::to_string(++count_) + ".log"),
      err_(dir + "/stderr." + std::to_string(count_) + ".log") {
  std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv = {const_cast<char*>(binary.c_str())};
  for (auto& s : env_strings) envp.push_back(s.data());
  for (auto& a : args) argv.push_back(a.data());
  envp.push_back(nullptr);
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

KeepsakeProcess::~KeepsakeProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool KeepsakeProcess::wait_for_log(const std::string& text, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (stderr_text().find(text) != std::string::npos) return true;
    if (poll_exit()) return stderr_text().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int KeepsakeProcess::wait_exit(int seconds) {
  for (int i = 0; i < seconds * 10 && !poll_exit(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

int KeepsakeProcess::term_signal() const { return exited_ && WIFSIGNALED(status_) ? WTERMSIG(status_) : 0; }

void KeepsakeProcess::signal(int sig) { kill(pid_, sig); }

bool KeepsakeProcess::poll_exit() {
  if (!exited_ && waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  return exited_;
}

}  // namespace keepsake::testing
