#include "files/restic.h"

#include <algorithm>

#include "common/error.h"
#include "files/files_service.h"

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

// The first line of restic's output that holds `text`, without restic's "Fatal: ".
std::string line_with(const ProcessResult& r, const char* text) {
  for (const auto* output : {&r.err, &r.out}) {
    auto at = output->find(text);
    if (at == std::string::npos) continue;
    auto start = output->rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    auto line = output->substr(start, output->find('\n', at) - start);
    return line.rfind("Fatal: ", 0) == 0 ? line.substr(7) : line;
  }
  return "";
}

}  // namespace

void throw_restic_failure(const std::string& configured, const std::string& command,
                          const ProcessResult& r) {
  const std::string repository = shown_repository(configured);  // a URL's credentials never shown
  if (says(r, "wrong password or no key found")) {
    throw Error(ErrorKind::kUnauthorized, "wrong password for the restic repository " + repository,
                "set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD to the repository's password, or "
                "unset both to use the file `keepsake files init` created under KEEPSAKE_DATA_DIR");
  }
  if (says(r, "permission denied")) {
    throw Error(ErrorKind::kForbidden, "restic " + command + ": " + line_with(r, "permission denied"),
                "Keepsake's user must be able to read the media folder and write the repository");
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
                "free space where the repository, restic's cache (KEEPSAKE_DATA_DIR/files/cache) or its temporary files (TMPDIR) live");
  }
  for (const char* unreachable : {"onnection refused", "no such host", "Could not resolve hostname",
                                  "etwork is unreachable", "i/o timeout", "unable to start the sftp session"}) {
    if (!says(r, unreachable)) continue;
    throw Error(ErrorKind::kUnavailable,
                "the restic repository " + repository + " is unreachable: " + line_with(r, unreachable),
                "check the network and that the remote server runs; the next scheduled run tries again");
  }
  if (says(r, "config file already exists")) {
    throw Error(ErrorKind::kConflict, "a restic repository already exists at " + repository,
                "use it as it is: `keepsake files backup --repo " + repository + "`");
  }
  std::string why = r.signal ? "killed by signal " + std::to_string(r.signal)
                             : "exit " + std::to_string(r.exit_code);
  throw Error(ErrorKind::kIo, "restic " + command + " failed (" + why + "): " + last_line(r.err));
}

ProcessOptions Restic::options(const std::vector<std::string>& args) const {
  ProcessOptions options;
  options.argv = {"restic", "--repo", repository_};
  for (const auto& o : options_) options.argv.insert(options.argv.end(), {"-o", o});
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env_;
  options.cwd = cwd_;
  return options;
}

ProcessResult Restic::checked(const std::vector<std::string>& args,
                              const std::vector<int>& ok_codes, ProcessResult r) const {
  if (std::find(ok_codes.begin(), ok_codes.end(), r.exit_code) == ok_codes.end()) {
    throw_restic_failure(repository_, args.empty() ? "" : args.front(), r);
  }
  return r;
}

ProcessResult Restic::run(const std::vector<std::string>& args, std::vector<int> ok_codes) const {
  return checked(args, ok_codes, run_process(options(args)));
}

ProcessResult Restic::run_streaming(const std::vector<std::string>& args, std::vector<int> ok_codes,
                                    const std::function<void(const std::string&)>& on_line,
                                    const std::function<void()>& on_started) const {
  std::string out, pending;
  auto r = run_process_streaming(options(args), [&](std::string_view chunk) {
    pending.append(chunk);
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      on_line(line);
      if (line.rfind(R"({"message_type":"status")", 0) != 0) out += line + "\n";
    }
  }, [&](pid_t) {
    if (on_started) on_started();
  });
  r.out = out + pending;
  return checked(args, ok_codes, std::move(r));
}

}  // namespace keepsake::files
