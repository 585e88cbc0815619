// Finding the PostgreSQL client tool a backup must use: the pg_dump of the server's major version,
// or else the newest installed one that is not older (an older pg_dump cannot dump a newer server).
// Must never pick a tool whose own --version it has not checked.
#pragma once

#include <string>

namespace keepsake::backup {

inline constexpr const char* kDefaultPgLibRoot = "/usr/lib/postgresql";

struct PgTool {
  std::string path;
  int major = 0;
  std::string version;  // as printed by --version, e.g. "15.20"
};

// Throws Error(kUnavailable) naming what is missing or too old and which package to install.
PgTool find_pg_tool(const std::string& tool, int server_major,
                    const std::string& root = kDefaultPgLibRoot);

// The major version in "pg_dump (PostgreSQL) 15.20 (Debian ...)"; 0 when unparseable. Pure.
int parse_tool_major(const std::string& version_output, std::string* version = nullptr);

}  // namespace keepsake::backup
