#include "common/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace keepsake {
namespace {

void read_both(int out_fd, int err_fd, std::string& out, std::string& err) {
  constexpr size_t kMaxOut = 1 << 20, kMaxErr = 64 << 10;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_count = (out_fd >= 0) + (err_fd >= 0);
  char buf[8192];
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      std::string& target = i == 0 ? out : err;
      size_t cap = i == 0 ? kMaxOut : kMaxErr;
      if (target.size() < cap) target.append(buf, std::min<size_t>(n, cap - target.size()));
    }
  }
}

}  // namespace

void end_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(126);
}

std::map<std::string, std::string> minimal_environment(
    const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"LANG", "C.UTF-8"}, {"LC_ALL", "C.UTF-8"}};
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

ProcessResult run_process(const ProcessOptions& o) {
  if (o.argv.empty()) throw Error(ErrorKind::kInternal, "run_process: empty argv");
  int out_pipe[2] = {-1, -1}, err_pipe[2];
  if ((o.stdout_file.empty() && pipe2(out_pipe, O_CLOEXEC) != 0) || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::kIo, std::string("cannot create pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> env_strings;
  for (auto& [k, v] : o.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = o.argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::string path_env = o.env.count("PATH") ? o.env.at("PATH") : "/usr/bin:/bin";

  // Resolve the program before fork: the child of a threaded process must not allocate.
  std::string prog = o.argv[0];
  if (prog.find('/') == std::string::npos) {
    size_t start = 0;
    while (start <= path_env.size()) {
      size_t end = path_env.find(':', start);
      if (end == std::string::npos) end = path_env.size();
      std::string candidate = path_env.substr(start, end - start) + "/" + prog;
      if (access(candidate.c_str(), X_OK) == 0) {
        prog = candidate;
        break;
      }
      start = end + 1;
    }
  }

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw Error(ErrorKind::kIo, std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    int in = open(o.stdin_file.empty() ? "/dev/null" : o.stdin_file.c_str(), O_RDONLY);
    if (in < 0) _exit(126);
    dup2(in, 0);
    if (o.stdout_file.empty()) {
      dup2(out_pipe[1], 1);
    } else {
      int fd = open(o.stdout_file.c_str(),
                    O_WRONLY | O_CREAT | (o.append_stdout ? O_APPEND : O_TRUNC), 0600);
      if (fd < 0) _exit(126);
      dup2(fd, 1);
    }
    dup2(err_pipe[1], 2);
    if (o.run_as) {
      if (setgroups(0, nullptr) != 0 || setgid(o.run_as->gid) != 0 || setuid(o.run_as->uid) != 0) {
        _exit(126);
      }
    }
    end_with_parent(parent);
    if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(126);
    sigset_t none;  // serve blocks SIGINT/SIGTERM in its threads; the child must receive them
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(prog.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult result;
  read_both(out_pipe[0], err_pipe[0], result.out, result.err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    if (result.exit_code == 127) {
      throw Error(ErrorKind::kIo, "cannot run " + o.argv[0] + ": program not found");
    }
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::optional<RunAs> postgres_run_as() {
  if (geteuid() != 0) return std::nullopt;
  struct passwd* pw = getpwnam("postgres");
  if (!pw) {
    throw Error(ErrorKind::kUnavailable,
                "Keepsake runs as root, and PostgreSQL refuses to run as root, but there is no "
                "'postgres' system user",
                "install Debian's postgresql-15 package (scripts/setup.sh), which creates it");
  }
  return RunAs{pw->pw_uid, pw->pw_gid, "postgres"};
}

void chown_recursive(const std::string& path, const RunAs& user) {
  namespace fs = std::filesystem;
  auto chown_one = [&](const fs::path& p) {
    if (lchown(p.c_str(), user.uid, user.gid) != 0) {
      throw Error(ErrorKind::kIo, "cannot hand " + p.string() + " to user " + user.name + ": " +
                                      std::strerror(errno));
    }
  };
  chown_one(path);
  for (auto& entry : fs::recursive_directory_iterator(path)) chown_one(entry.path());
}

}  // namespace keepsake
