#include "files/restic.h"

#include <algorithm>

#include "common/error.h"

namespace keepsake::files {
namespace {

bool says(const ProcessResult& r, const char* text) {
  return r.err.find(text) != std::string::npos || r.out.find(text) != std::string::npos;
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - start);
}

}  // namespace

void throw_restic_failure(const std::string& repository, const std::string& command,
                          const ProcessResult& r) {
  if (says(r, "wrong password or no key found")) {
    throw Error(ErrorKind::kUnauthorized, "wrong password for the restic repository " + repository,
                "set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD to the repository's password, or "
                "unset both to use the file `keepsake files init` created under KEEPSAKE_DATA_DIR");
  }
  if (says(r, "Is there a repository at the following location?")) {
    throw Error(ErrorKind::kNotFound, "no restic repository at " + repository,
                "create one with `keepsake files init --repo " + repository + "`");
  }
  if (says(r, "repository is already locked")) {
    throw Error(ErrorKind::kConflict, "the restic repository " + repository + " is locked",
                "another restic process uses it; if none does, remove stale locks with `restic "
                "unlock`");
  }
  if (says(r, "no space left on device")) {
    throw Error(ErrorKind::kIo, "restic " + command + ": no space left on device",
                "free space where the repository (or restic's cache) lives");
  }
  if (says(r, "config file already exists")) {
    throw Error(ErrorKind::kConflict, "a restic repository already exists at " + repository,
                "use it as it is: `keepsake files backup --repo " + repository + "`");
  }
  std::string why = r.signal ? "killed by signal " + std::to_string(r.signal)
                             : "exit " + std::to_string(r.exit_code);
  throw Error(ErrorKind::kIo, "restic " + command + " failed (" + why + "): " + last_line(r.err));
}

ProcessResult Restic::run(const std::vector<std::string>& args, std::vector<int> ok_codes) const {
  ProcessOptions options;
  options.argv = {"restic", "--repo", repository_};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env_;
  options.cwd = cwd_;
  auto r = run_process(options);
  if (std::find(ok_codes.begin(), ok_codes.end(), r.exit_code) == ok_codes.end()) {
    throw_restic_failure(repository_, args.empty() ? "" : args.front(), r);
  }
  return r;
}

}  // namespace keepsake::files
