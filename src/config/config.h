// Configuration from the environment, with Immich v2.7.5's variable names and defaults (spec §4),
// plus Keepsake's own KEEPSAKE_* settings. Loading validates everything up front and throws one
// keepsake::Error (kInvalidArgument) naming the variable and what it accepts.
// Must never put a password into an error message or a log line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace keepsake {

// Where and how to reach PostgreSQL. Fields hold libpq keyword values; empty means "not set".
struct DatabaseConfig {
  std::string host;      // host name, or a socket directory (starts with '/')
  std::string port;      // decimal
  std::string user;
  std::string password;  // secret: never log
  std::string dbname;
  std::string sslmode;   // libpq sslmode, empty = libpq default
  bool embedded = false; // true when neither DB_URL nor DB_HOSTNAME is set

  // libpq keyword/value pairs (password included; pass to PQconnectdbParams only).
  std::vector<std::pair<std::string, std::string>> libpq_params() const;
  // Environment variables for libpq tools (pg_dump, psql): PGHOST, PGPASSWORD, ...
  std::map<std::string, std::string> libpq_env() const;
  // A postgresql:// URL without the password, for logs and `keepsake db url`.
  std::string display_url() const;
};

struct Config {
  DatabaseConfig db;
  std::string vector_extension;  // "", "vector", "vectors", "vchord" or "builtin"
  bool skip_migrations = false;
  std::string media_location;    // IMMICH_MEDIA_LOCATION, or the detected default
  bool media_location_from_env = false;
  std::string host;              // IMMICH_HOST, empty = all interfaces
  int port = 2283;               // IMMICH_PORT
  std::string env = "production";  // IMMICH_ENV
  bool ignore_mount_check_errors = false;
  std::string log_level = "log";   // IMMICH_LOG_LEVEL
  std::string machine_learning_url;  // IMMICH_MACHINE_LEARNING_URL
  std::string data_dir;          // KEEPSAKE_DATA_DIR (absolute), default ./data
  int restore_keep_days = 7;     // KEEPSAKE_RESTORE_KEEP_DAYS: days a database (or embedded data folder) replaced by a restore is kept (0 = until `keepsake restore cleanup`)
  uint64_t upload_limit_mb = 65536;  // KEEPSAKE_UPLOAD_LIMIT_MB: largest backup upload accepted (MiB)
};

using Environment = std::map<std::string, std::string>;

// The process environment as a map.
Environment process_environment();

// Validates and loads the configuration. Throws keepsake::Error naming the first bad variable.
Config load_config(const Environment& env);

// Parses a postgresql:// URL (Immich's DB_URL forms, including ?host=/socket/dir, %2F-encoded
// socket hosts, sslmode, and uselibpqcompat which is dropped) into a DatabaseConfig.
DatabaseConfig parse_database_url(const std::string& url);

// Parses Immich's strict booleans: exactly "true" or "false".
bool parse_strict_bool(const std::string& name, const std::string& value);

}  // namespace keepsake
