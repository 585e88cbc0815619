// run_process_streaming: like run_process, but stdout flows through a callback.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/process.h"

namespace keepsake {
namespace {

constexpr size_t kChunk = 256 << 10;
constexpr size_t kMaxErr = 64 << 10;

std::string resolve_program(const std::string& prog, const std::map<std::string, std::string>& env) {
  if (prog.find('/') != std::string::npos) return prog;
  std::string path = env.count("PATH") ? env.at("PATH") : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start) + "/" + prog;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return prog;
}

[[noreturn]] void exec_child(const ProcessOptions& o, const std::string& prog, char** argv,
                             char** envp, int out_fd, int err_fd, pid_t parent) {
  int in = open(o.stdin_file.empty() ? "/dev/null" : o.stdin_file.c_str(), O_RDONLY);
  if (in < 0) _exit(126);
  dup2(in, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  if (o.run_as && (setgroups(0, nullptr) != 0 || setgid(o.run_as->gid) != 0 ||
                   setuid(o.run_as->uid) != 0)) {
    _exit(126);
  }
  end_with_parent(parent);
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(126);
  sigset_t none;  // serve blocks SIGINT/SIGTERM in its threads; the child must receive them
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(prog.c_str(), argv, envp);
  _exit(127);
}

// Reads both pipes until EOF, passing stdout to sink. Returns normally or rethrows sink's error.
void pump(int out_fd, int err_fd, std::string& err,
          const std::function<void(std::string_view)>& sink) {
  std::vector<char> buf(kChunk);
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::kIo, std::string("cannot wait for a child's output: ") + std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      if (i == 0) {
        sink(std::string_view(buf.data(), static_cast<size_t>(n)));
      } else if (err.size() < kMaxErr) {
        err.append(buf.data(), std::min<size_t>(n, kMaxErr - err.size()));
      }
    }
  }
}

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

ProcessResult run_process_streaming(const ProcessOptions& o,
                                    const std::function<void(std::string_view)>& sink,
                                    const std::function<void(pid_t)>& on_started) {
  if (o.argv.empty()) throw Error(ErrorKind::kInternal, "run_process_streaming: empty argv");
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::kIo, std::string("cannot create pipe: ") + std::strerror(errno));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]), close(out_pipe[1]);
    throw Error(ErrorKind::kIo, std::string("cannot create pipe: ") + std::strerror(errno));
  }
  fcntl(out_pipe[0], F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups; a failure only costs speed
  std::vector<std::string> env_strings, args = o.argv;
  for (auto& [k, v] : o.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::string prog = resolve_program(o.argv[0], o.env);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    throw Error(ErrorKind::kIo, std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) exec_child(o, prog, argv.data(), envp.data(), out_pipe[1], err_pipe[1], parent);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult result;
  try {
    if (on_started) on_started(pid);
    pump(out_pipe[0], err_pipe[0], result.err, sink);
  } catch (...) {
    kill(pid, SIGKILL);
    close(out_pipe[0]);
    close(err_pipe[0]);
    reap(pid);
    throw;
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = reap(pid);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    if (result.exit_code == 127 && result.err.empty()) {
      throw Error(ErrorKind::kIo, "cannot run " + o.argv[0] + ": program not found");
    }
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace keepsake
