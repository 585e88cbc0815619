// The PostgreSQL version check Immich runs at start (spec §3.3 step 1): PostgreSQL >= 14.
#pragma once

#include <string>

#include "db/connection.h"

namespace keepsake::db {

struct PostgresVersion {
  int major = 0, minor = 0, patch = 0;
  std::string text;
};

// Reads SHOW server_version and coerces it like semver.coerce ("15.20 (Debian ...)" -> 15.20.0).
PostgresVersion read_server_version(Connection& conn);
PostgresVersion coerce_version(const std::string& text);

// Throws Immich's error text when the server is older than 14.
void check_server_version(Connection& conn);

}  // namespace keepsake::db
