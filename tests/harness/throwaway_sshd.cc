#include "harness/throwaway_sshd.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "common/process.h"

namespace keepsake::testing {
namespace {

constexpr const char* kHostAlias = "keepsake-sftp";

void make_key(const std::string& path) {
  ProcessOptions o;
  o.argv = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "keepsake-test", "-f", path};
  o.env = minimal_environment();
  auto r = run_process(o);
  if (r.exit_code != 0) throw std::runtime_error("ssh-keygen: " + r.err);
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

ThrowawaySshd::ThrowawaySshd() : port_(free_port()) {
  auto d = dir_.path();
  make_key(d + "/host_key");
  make_key(d + "/client_key");
  write(d + "/authorized_keys", read_file(d + "/client_key.pub"));
  write(d + "/sshd_config", "ListenAddress 127.0.0.1\nPort " + std::to_string(port_) +
                                "\nHostKey " + d + "/host_key\nPidFile " + d + "/sshd.pid\n"
                                "AuthorizedKeysFile " + d + "/authorized_keys\nStrictModes no\n"
                                "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                                "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n");
  write(d + "/known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " + read_file(d + "/host_key.pub"));
  write(d + "/ssh_config", std::string("Host ") + kHostAlias + "\n  HostName 127.0.0.1\n  Port " +
                               std::to_string(port_) + "\n  User root\n  IdentityFile " + d +
                               "/client_key\n  IdentitiesOnly yes\n  UserKnownHostsFile " + d +
                               "/known_hosts\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
                               "  ConnectTimeout 5\n");
  if (::geteuid() == 0) ::mkdir("/run/sshd", 0755);
  sshd_ = std::make_unique<KeepsakeProcess>(std::map<std::string, std::string>{}, d,
                                            std::vector<std::string>{"-f", d + "/sshd_config", "-D", "-e"},
                                            "/usr/sbin/sshd");
  if (!sshd_->wait_for_log("Server listening on 127.0.0.1", 20)) {
    throw std::runtime_error("sshd did not start: " + sshd_->stderr_text());
  }
}

ThrowawaySshd::~ThrowawaySshd() { stop(); }

void ThrowawaySshd::stop() {
  if (!sshd_) return;
  sshd_->signal(SIGTERM);
  sshd_->wait_exit(10);
  sshd_.reset();
}

std::string ThrowawaySshd::repository(const std::string& path) const {
  return std::string("sftp:") + kHostAlias + ":" + path;
}

std::string ThrowawaySshd::sftp_command_option() const {
  return "sftp.command=ssh -F " + dir_.path() + "/ssh_config " + kHostAlias + " -s sftp";
}

}  // namespace keepsake::testing
