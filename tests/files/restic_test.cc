// restic's failures as Keepsake reports them: one Error of the right kind each, from the text
// restic 0.14 prints (the real runs are in files_jobs_test.cc and files_cli_test.cc; permission
// denied cannot happen to the root user the tests run as, so it is checked here).
#include "files/restic.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace keepsake::files {
namespace {

Error failure_for(const std::string& err) {
  ProcessResult r;
  r.exit_code = 1;
  r.err = err;
  try {
    throw_restic_failure("/repo", "backup", r);
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorKind::kInternal, "nothing thrown");
}

TEST(ResticFailureTest, EachCauseIsOneErrorOfItsKind) {
  auto denied = failure_for("Fatal: unable to open config file: open /repo/config: permission denied\n"
                            "Is there a repository at the following location?\n/repo\n");
  EXPECT_EQ(denied.kind(), ErrorKind::kForbidden);
  EXPECT_EQ(std::string(denied.what()), "restic backup: unable to open config file: open /repo/config: permission denied");
  auto unreachable = failure_for("ssh: connect to host 127.0.0.1 port 1: Connection refused\n"
                                 "Fatal: unable to open repository at sftp:x: unable to start the sftp session\n");
  EXPECT_EQ(unreachable.kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(std::string(unreachable.what()), "the restic repository /repo is unreachable: ssh: connect to host "
                                             "127.0.0.1 port 1: Connection refused");
  EXPECT_EQ(failure_for("Fatal: unable to create lock in backend: repository is already locked by PID 7\n").kind(),
            ErrorKind::kConflict);
  EXPECT_EQ(failure_for("Fatal: unable to save snapshot: write /tmp/pack: no space left on device\n").kind(),
            ErrorKind::kIo);
  EXPECT_EQ(failure_for("Fatal: wrong password or no key found\n").kind(), ErrorKind::kUnauthorized);
}

}  // namespace
}  // namespace keepsake::files
