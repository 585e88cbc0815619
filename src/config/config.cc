#include "config/config.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "common/error.h"
#include "common/log.h"
#include "config/postgres_url.h"

extern char** environ;

namespace keepsake {
namespace {

[[noreturn]] void invalid(const std::string& name, const std::string& shown_value,
                          const std::string& accepted) {
  throw Error(ErrorKind::kInvalidArgument,
              "Invalid environment variable " + name + "=" + shown_value + " (" + accepted + ")");
}

std::string get(const Environment& env, const std::string& name, const std::string& fallback = {}) {
  auto it = env.find(name);
  return it == env.end() ? fallback : it->second;
}

bool has(const Environment& env, const std::string& name) {
  auto it = env.find(name);
  return it != env.end() && !it->second.empty();
}

// A whole number of at most `max_digits` digits and at least `min`, or one line naming the variable.
uint64_t whole_number(const Environment& env, const std::string& name, size_t max_digits,
                      const std::string& accepted, uint64_t min = 0) {
  const std::string v = get(env, name);
  if (v.empty() || v.size() > max_digits || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoull(v) < min) {
    invalid(name, v, accepted);
  }
  return std::stoull(v);
}

bool is_port(const std::string& value) {
  return !value.empty() && value.size() <= 5 &&
         std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoi(value) >= 1 && std::stoi(value) <= 65535;
}

int parse_port(const std::string& name, const std::string& value) {
  if (!is_port(value)) invalid(name, value, "must be an integer between 1 and 65535");
  return std::stoi(value);
}

constexpr std::array kSslModes = {"disable", "allow", "prefer", "require", "verify-ca",
                                  "verify-full"};

void check_sslmode(const std::string& name, const std::string& shown, const std::string& mode) {
  if (std::find(kSslModes.begin(), kSslModes.end(), mode) == kSslModes.end()) {
    invalid(name, shown, "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full");
  }
}

std::string one_of(const Environment& env, const std::string& name,
                   const std::vector<std::string>& accepted, const std::string& fallback) {
  if (!has(env, name)) return fallback;
  std::string value = get(env, name);
  if (std::find(accepted.begin(), accepted.end(), value) != accepted.end()) return value;
  std::string list;
  for (const auto& a : accepted) list += (list.empty() ? "" : ", ") + a;
  invalid(name, value, "must be one of " + list);
}

std::string detect_media_location() {
  namespace fs = std::filesystem;
  bool data = fs::exists("/data");
  bool upload = fs::exists("/usr/src/app/upload");
  if (data && !upload) return "/data";
  return "/usr/src/app/upload";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> DatabaseConfig::libpq_params() const {
  std::vector<std::pair<std::string, std::string>> p;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) p.emplace_back(k, v);
  };
  add("host", host);
  add("port", port);
  add("user", user);
  add("password", password);
  add("dbname", dbname);
  add("sslmode", sslmode);
  p.emplace_back("application_name", "keepsake");
  p.emplace_back("options", "-c TimeZone=UTC");
  p.emplace_back("connect_timeout", "10");
  return p;
}

std::map<std::string, std::string> DatabaseConfig::libpq_env() const {
  std::map<std::string, std::string> e;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) e[k] = v;
  };
  add("PGHOST", host);
  add("PGPORT", port);
  add("PGUSER", user);
  add("PGPASSWORD", password);
  add("PGDATABASE", dbname);
  add("PGSSLMODE", sslmode);
  e["PGTZ"] = "UTC";
  e["PGAPPNAME"] = "keepsake-tools";
  e["PGCONNECT_TIMEOUT"] = "10";
  return e;
}

std::string DatabaseConfig::display_url() const {
  auto encode = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
    return out;
  };
  std::string url = "postgresql://" + encode(user) + "@";
  bool socket = !host.empty() && host[0] == '/';
  if (!socket) url += host;
  if (!port.empty() && !socket) url += ":" + port;
  url += "/" + encode(dbname);
  std::string query;
  if (socket) query += "host=" + encode(host) + "&port=" + port;
  if (!sslmode.empty()) query += std::string(query.empty() ? "" : "&") + "sslmode=" + sslmode;
  if (!query.empty()) url += "?" + query;
  return url;
}

namespace {

// The libpq connection keywords (host, sslrootcert, application_name, ...): a URL may set them.
bool is_libpq_keyword(const std::string& key) {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> defaults(PQconndefaults(), &PQconninfoFree);
  for (PQconninfoOption* o = defaults.get(); o && o->keyword; ++o) {
    if (key == o->keyword) return true;
  }
  return false;
}

}  // namespace

DatabaseConfig parse_database_url(const std::string& raw) {
  const std::string shown = log::redact_url(raw);
  if (raw.rfind("postgresql://", 0) != 0 && raw.rfind("postgres://", 0) != 0) {
    invalid("DB_URL", shown, "must start with postgresql:// or postgres://");
  }
  PostgresUrlParts parts;
  try {
    parts = split_postgres_url(raw);
  } catch (const Error& e) {
    invalid("DB_URL", shown, e.what());
  }
  DatabaseConfig db{parts.host, parts.port, parts.user, parts.password, parts.dbname};
  size_t number = 0;
  for (const auto& [key, value] : parts.query) {
    ++number;
    if (key == "uselibpqcompat") continue;  // Immich's pg-connection-string option; libpq does not know it
    if (key == "host") db.host = value;
    else if (key == "port") db.port = value;
    else if (key == "user") db.user = value;
    else if (key == "password") db.password = value;
    else if (key == "dbname") db.dbname = value;
    else if (key == "sslmode") db.sslmode = value;
    else if (!is_libpq_keyword(key)) {
      // Not quoted: a password with an unencoded '?' or '/' ends up in the query.
      invalid("DB_URL", shown, "its query parameter #" + std::to_string(number) + " is not a PostgreSQL connection setting");
    }
  }
  if (!db.sslmode.empty()) check_sslmode("DB_URL", shown, db.sslmode);
  // The URL is shown redacted: what was read as the port may be part of a password.
  if (!db.port.empty() && !is_port(db.port)) invalid("DB_URL", shown, "its port must be an integer between 1 and 65535");
  if (db.user.empty()) db.user = "postgres";
  if (db.dbname.empty()) db.dbname = "immich";
  if (db.host.empty()) db.host = "localhost";
  if (db.port.empty()) db.port = "5432";
  return db;
}

bool parse_strict_bool(const std::string& name, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  invalid(name, value, "must be true or false");
}

Environment process_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

Config load_config(const Environment& env) {
  Config c;
  if (has(env, "DB_URL")) {
    c.db = parse_database_url(get(env, "DB_URL"));
  } else {
    c.db.embedded = !has(env, "DB_HOSTNAME");
    c.db.host = get(env, "DB_HOSTNAME", "database");
    c.db.port = has(env, "DB_PORT") ? get(env, "DB_PORT") : "5432";
    parse_port("DB_PORT", c.db.port);
    c.db.user = has(env, "DB_USERNAME") ? get(env, "DB_USERNAME") : "postgres";
    c.db.password = has(env, "DB_PASSWORD") ? get(env, "DB_PASSWORD") : "postgres";
    c.db.dbname = has(env, "DB_DATABASE_NAME") ? get(env, "DB_DATABASE_NAME") : "immich";
    if (has(env, "DB_SSL_MODE")) {
      c.db.sslmode = get(env, "DB_SSL_MODE");
      check_sslmode("DB_SSL_MODE", c.db.sslmode, c.db.sslmode);
    }
  }
  if (!c.db.embedded && has(env, "DB_PORT") && has(env, "DB_URL")) {
    parse_port("DB_PORT", get(env, "DB_PORT"));  // still validated, though DB_URL wins
  }

  std::string ext = one_of(env, "DB_VECTOR_EXTENSION",
                           {"pgvector", "pgvecto.rs", "vectorchord", "builtin"}, "");
  if (ext == "pgvector") c.vector_extension = "vector";
  else if (ext == "pgvecto.rs") c.vector_extension = "vectors";
  else if (ext == "vectorchord") c.vector_extension = "vchord";
  else c.vector_extension = ext;

  if (env.count("DB_SKIP_MIGRATIONS")) {
    c.skip_migrations = parse_strict_bool("DB_SKIP_MIGRATIONS", get(env, "DB_SKIP_MIGRATIONS"));
  }
  if (env.count("IMMICH_IGNORE_MOUNT_CHECK_ERRORS")) {
    c.ignore_mount_check_errors = parse_strict_bool("IMMICH_IGNORE_MOUNT_CHECK_ERRORS",
                                                    get(env, "IMMICH_IGNORE_MOUNT_CHECK_ERRORS"));
  }
  c.env = one_of(env, "IMMICH_ENV", {"development", "testing", "production"}, "production");
  c.log_level = one_of(env, "IMMICH_LOG_LEVEL", {"verbose", "debug", "log", "warn", "error", "fatal"},
                       "log");
  if (has(env, "IMMICH_PORT")) c.port = parse_port("IMMICH_PORT", get(env, "IMMICH_PORT"));
  c.host = get(env, "IMMICH_HOST");
  c.machine_learning_url = get(env, "IMMICH_MACHINE_LEARNING_URL");

  namespace fs = std::filesystem;
  c.data_dir = fs::absolute(has(env, "KEEPSAKE_DATA_DIR") ? get(env, "KEEPSAKE_DATA_DIR") : "data")
                   .lexically_normal()
                   .string();
  if (!c.data_dir.empty() && c.data_dir.size() > 1 && c.data_dir.back() == '/') c.data_dir.pop_back();

  if (has(env, "KEEPSAKE_RESTORE_KEEP_DAYS")) {
    c.restore_keep_days = static_cast<int>(whole_number(
        env, "KEEPSAKE_RESTORE_KEEP_DAYS", 5,
        "KEEPSAKE_RESTORE_KEEP_DAYS must be a whole number of days (0 keeps them until `keepsake restore cleanup`)"));
  }
  if (has(env, "KEEPSAKE_UPLOAD_LIMIT_MB")) {
    c.upload_limit_mb = whole_number(env, "KEEPSAKE_UPLOAD_LIMIT_MB", 9,
                                     "KEEPSAKE_UPLOAD_LIMIT_MB must be a whole number of MiB, at least 1", 1);
  }

  if (has(env, "IMMICH_MEDIA_LOCATION")) {
    c.media_location = get(env, "IMMICH_MEDIA_LOCATION");
    if (c.media_location[0] != '/') {
      invalid("IMMICH_MEDIA_LOCATION", c.media_location,
              "IMMICH_MEDIA_LOCATION must be an absolute path");
    }
    c.media_location_from_env = true;
  } else {
    c.media_location = detect_media_location();
  }
  return c;
}

}  // namespace keepsake
