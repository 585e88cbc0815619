#include "backup/pg_tools.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>

#include "common/error.h"
#include "common/process.h"

namespace keepsake::backup {
namespace fs = std::filesystem;

int parse_tool_major(const std::string& output, std::string* version) {
  static const std::regex kVersion(R"(\(PostgreSQL\) (\d+)(\.\d+)?)");
  std::smatch m;
  if (!std::regex_search(output, m, kVersion)) return 0;
  if (version) *version = m[1].str() + m[2].str();
  return std::stoi(m[1].str());
}

namespace {

// Installed candidates by the major version of their folder name.
std::map<int, std::string> installed(const std::string& tool, const std::string& root) {
  std::map<int, std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string dir = it->path().filename().string();
    if (dir.empty() || !std::all_of(dir.begin(), dir.end(), ::isdigit) || dir.size() > 3) continue;
    std::string path = (it->path() / "bin" / tool).string();
    if (access(path.c_str(), X_OK) == 0) found[std::stoi(dir)] = path;
  }
  return found;
}

PgTool check(const std::string& tool, const std::string& path) {
  ProcessOptions o;
  o.argv = {path, "--version"};
  o.env = minimal_environment();
  auto r = run_process(o);
  PgTool t{path, 0, ""};
  t.major = r.ok() ? parse_tool_major(r.out, &t.version) : 0;
  if (t.major == 0) {
    throw Error(ErrorKind::kUnavailable, path + " --version did not print a PostgreSQL version",
                "reinstall the PostgreSQL client package that provides " + tool);
  }
  return t;
}

}  // namespace

PgTool find_pg_tool(const std::string& tool, int server_major, const std::string& root) {
  auto found = installed(tool, root);
  std::string hint = "install postgresql-client-" + std::to_string(server_major) +
                     " (Debian) so that " + root + "/" + std::to_string(server_major) + "/bin/" +
                     tool + " exists";
  auto it = found.lower_bound(server_major);
  if (it == found.end()) {
    if (found.empty()) {
      throw Error(ErrorKind::kUnavailable,
                  tool + " is not installed: no " + root + "/<version>/bin/" + tool, hint);
    }
    throw Error(ErrorKind::kUnavailable,
                tool + " is too old: the newest installed is for PostgreSQL " +
                    std::to_string(found.rbegin()->first) + ", the server runs PostgreSQL " +
                    std::to_string(server_major),
                hint);
  }
  PgTool t = check(tool, it->second);
  if (t.major < server_major) {
    throw Error(ErrorKind::kUnavailable,
                tool + " is too old: " + t.path + " is version " + t.version +
                    ", the server runs PostgreSQL " + std::to_string(server_major),
                hint);
  }
  return t;
}

}  // namespace keepsake::backup
