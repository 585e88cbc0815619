// An sshd of a test's own, for restic's sftp: backend: a free port on 127.0.0.1, a throwaway host
// key and client key (ssh-keygen), and a private config file (`sshd -f <conf> -D -e`; root may log
// in with the client key only, the sftp subsystem runs inside sshd). No system configuration is
// read or changed; as root, sshd's privilege-separation folder /run/sshd is made when absent, as
// its service unit does. Stopped with the object.
#pragma once

#include <memory>
#include <string>

#include "harness/keepsake_process.h"
#include "harness/test_cluster.h"

namespace keepsake::testing {

class ThrowawaySshd {
 public:
  ThrowawaySshd();  // listening when it returns
  ~ThrowawaySshd();

  // The restic repository at `path` on this server: sftp:<host alias>:<path>.
  std::string repository(const std::string& path) const;
  // restic's -o option that reaches this server: sftp.command=ssh -F <private ssh config> ...
  std::string sftp_command_option() const;
  void stop();  // the port is closed when it returns

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<KeepsakeProcess> sshd_;
};

}  // namespace keepsake::testing
