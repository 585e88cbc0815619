#include "db/server_version.h"

#include <regex>

#include "common/error.h"

namespace keepsake::db {

PostgresVersion coerce_version(const std::string& text) {
  static const std::regex kVersion(R"((\d+)(?:\.(\d+))?(?:\.(\d+))?)");
  std::smatch m;
  PostgresVersion v;
  v.text = text;
  if (std::regex_search(text, m, kVersion)) {
    v.major = std::stoi(m[1]);
    v.minor = m[2].matched ? std::stoi(m[2]) : 0;
    v.patch = m[3].matched ? std::stoi(m[3]) : 0;
  }
  return v;
}

PostgresVersion read_server_version(Connection& conn) {
  return coerce_version(conn.exec("SHOW server_version", {}, "read server version").text(0, 0));
}

void check_server_version(Connection& conn) {
  auto v = read_server_version(conn);
  if (v.major < 14) {
    throw Error(ErrorKind::kUnavailable,
                "Invalid PostgreSQL version. Found " + std::to_string(v.major) + "." +
                    std::to_string(v.minor) + "." + std::to_string(v.patch) +
                    ", but needed >=14.0.0. Please use a supported version.");
  }
}

}  // namespace keepsake::db
