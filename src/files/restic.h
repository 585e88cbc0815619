// The restic child process of `keepsake files` (internal to src/files/): argv without a shell,
// the environment built here (the password only ever as RESTIC_PASSWORD_FILE or RESTIC_PASSWORD,
// never in argv or logs), and restic's failures turned into one clear keepsake::Error each.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/process.h"

namespace keepsake::files {

class Restic {
 public:
  // `env` is restic's whole environment (see files_service.cc); `repository` a path or URL;
  // `options` restic's `-o key=value` for it (sftp.command=...).
  Restic(std::string repository, std::vector<std::string> options,
         std::map<std::string, std::string> env, std::string cwd = {})
      : repository_(std::move(repository)),
        options_(std::move(options)),
        env_(std::move(env)),
        cwd_(std::move(cwd)) {}

  // Runs `restic -r <repo> <args>`; throws the mapped Error unless the exit code is listed.
  ProcessResult run(const std::vector<std::string>& args, std::vector<int> ok_codes = {0}) const;
  // As run, also handing each stdout line to `on_line` as it arrives (restic's --json status);
  // `on_started` runs once the child exists (if it throws, the child is killed first).
  ProcessResult run_streaming(const std::vector<std::string>& args, std::vector<int> ok_codes,
                              const std::function<void(const std::string&)>& on_line,
                              const std::function<void()>& on_started = {}) const;

  const std::string& repository() const { return repository_; }

 private:
  ProcessOptions options(const std::vector<std::string>& args) const;
  ProcessResult checked(const std::vector<std::string>& args, const std::vector<int>& ok_codes,
                        ProcessResult r) const;

  std::string repository_;
  std::vector<std::string> options_;
  std::map<std::string, std::string> env_;
  std::string cwd_;
};

// The Error for a failed restic run (wrong password, no repository, locked, full disk, other),
// naming the repository as shown_repository shows it.
[[noreturn]] void throw_restic_failure(const std::string& repository, const std::string& command,
                                       const ProcessResult& r);

}  // namespace keepsake::files
