#include "config/redis_config.h"

#include <openssl/evp.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "config/config.h"

namespace keepsake {
namespace {

constexpr std::array kRedisVariables = {"REDIS_HOSTNAME", "REDIS_PORT",   "REDIS_USERNAME", "REDIS_PASSWORD",
                                        "REDIS_DBINDEX",  "REDIS_URL",    "REDIS_SOCKET",   "REDIS_PASSWORD_FILE"};
constexpr std::string_view kIoredisScheme = "ioredis://";

using Env = std::map<std::string, std::string>;

std::string get(const Env& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

[[noreturn]] void invalid(const std::string& name, const std::string& shown, const std::string& why) {
  throw Error(ErrorKind::kInvalidArgument, "Invalid environment variable " + name + "=" + shown + " (" + why + ")");
}

int whole_number(const std::string& name, const std::string& value, long max) {
  bool digits = !value.empty() && value.size() <= 10 && value.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stol(value) > max) invalid(name, value, "must be a whole number up to " + std::to_string(max));
  return static_cast<int>(std::stol(value));
}

int port_number(const std::string& name, const std::string& value) {
  int port = whole_number(name, value, 65535);
  if (port < 1) invalid(name, value, "must be an integer between 1 and 65535");
  return port;
}

// Like Node's Buffer.from(text, 'base64'): both alphabets, characters outside them skipped, padding optional.
std::optional<std::string> lenient_base64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c == '=') break;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') clean += c;
  }
  if (clean.size() % 4 == 1) return std::nullopt;
  size_t padding = (4 - clean.size() % 4) % 4;
  clean.append(padding, '=');
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// The ioredis options Keepsake understands: host, port, path, username, password, db.
RedisConfig from_ioredis_options(const std::string& url) {
  const std::string shown = std::string(kIoredisScheme) + "***";
  auto decoded = lenient_base64(std::string_view(url).substr(kIoredisScheme.size()));
  auto options = nlohmann::json::parse(decoded.value_or(""), nullptr, false);
  if (!options.is_object()) invalid("REDIS_URL", shown, "Failed to decode redis options: not base64 of a JSON object");
  for (const char* unsupported : {"tls", "sentinels", "natMap"}) {
    if (options.contains(unsupported)) {
      invalid("REDIS_URL", shown, std::string("the ioredis option \"") + unsupported + "\" is not supported by Keepsake");
    }
  }
  RedisConfig c;
  c.host = "localhost";  // ioredis' own defaults
  try {
    if (options.contains("host")) c.host = options["host"].get<std::string>();
    if (options.contains("path")) c.socket = options["path"].get<std::string>();
    if (options.contains("username")) c.username = options["username"].get<std::string>();
    if (options.contains("password")) c.password = options["password"].get<std::string>();
    auto number = [&](const char* key, int fallback, long max) {
      if (!options.contains(key)) return fallback;
      const auto& v = options[key];
      return whole_number("REDIS_URL", v.is_string() ? v.get<std::string>() : v.dump(), max);
    };
    c.port = number("port", 6379, 65535);
    c.db_index = number("db", 0, 1L << 30);
  } catch (const nlohmann::json::exception&) {
    invalid("REDIS_URL", shown, "host, path, username and password must be strings; port and db numbers");
  } catch (const Error&) {
    invalid("REDIS_URL", shown, "port must be between 1 and 65535 and db a whole number");
  }
  return c;
}

// Immich's start.sh: REDIS_PASSWORD_FILE names a file (or, when it is empty, a systemd credential
// $CREDENTIALS_DIRECTORY/REDIS_PASSWORD that exists) whose content replaces REDIS_PASSWORD.
std::optional<std::string> password_from_file(const Env& env) {
  std::string path = get(env, "REDIS_PASSWORD_FILE");
  std::string credentials = get(env, "CREDENTIALS_DIRECTORY");
  if (path.empty() && !credentials.empty() && std::filesystem::exists(credentials + "/REDIS_PASSWORD")) {
    path = credentials + "/REDIS_PASSWORD";
  }
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) invalid("REDIS_PASSWORD_FILE", path, "the file cannot be read");
  std::stringstream content;
  content << in.rdbuf();
  std::string password = content.str();
  while (!password.empty() && password.back() == '\n') password.pop_back();  // as $(cat file)
  return password;
}

bool any_redis_variable(const Env& env) {
  for (const char* name : kRedisVariables) {
    if (!get(env, name).empty()) return true;
  }
  return !get(env, "CREDENTIALS_DIRECTORY").empty() &&
         std::filesystem::exists(get(env, "CREDENTIALS_DIRECTORY") + "/REDIS_PASSWORD");
}

}  // namespace

std::string RedisConfig::display() const {
  if (!socket.empty()) return "unix:" + socket + " (db " + std::to_string(db_index) + ")";
  return "redis://" + (username.empty() ? "" : username + "@") + host + ":" + std::to_string(port) + "/" +
         std::to_string(db_index);
}

bool restart_channel_configured() { return load_redis_config(process_environment()).has_value(); }

std::string redis_variable_names() {
  return "REDIS_HOSTNAME, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_DBINDEX, REDIS_URL, REDIS_SOCKET";
}

std::optional<RedisConfig> load_redis_config(const Env& env) {
  if (!any_redis_variable(env)) return std::nullopt;
  const std::string url = get(env, "REDIS_URL");
  if (url.rfind(kIoredisScheme, 0) == 0) return from_ioredis_options(url);
  RedisConfig c;  // any other REDIS_URL form is ignored, as Immich does
  if (!get(env, "REDIS_HOSTNAME").empty()) c.host = get(env, "REDIS_HOSTNAME");
  if (!get(env, "REDIS_PORT").empty()) c.port = port_number("REDIS_PORT", get(env, "REDIS_PORT"));
  if (!get(env, "REDIS_DBINDEX").empty()) c.db_index = whole_number("REDIS_DBINDEX", get(env, "REDIS_DBINDEX"), 1L << 30);
  c.username = get(env, "REDIS_USERNAME");
  c.password = password_from_file(env).value_or(get(env, "REDIS_PASSWORD"));
  c.socket = get(env, "REDIS_SOCKET");
  return c;
}

}  // namespace keepsake
