// Immich's Redis settings (spec §12.1), which reach Immich's restart channel (src/immich/).
// Read only when at least one of Immich's Redis variables is set; then every one of them is read
// with Immich's defaults and precedence: REDIS_URL as `ioredis://<base64 JSON of ioredis options>`
// replaces all the others, REDIS_SOCKET wins over host and port, and REDIS_PASSWORD_FILE (or
// $CREDENTIALS_DIRECTORY/REDIS_PASSWORD) supplies the password as Immich's start.sh does (spec §4).
// Loaded by the commands that use the channel (serve, maintenance, restore), not part of `Config`:
// config.h is included by nearly every object and test, and moving it there is one line.
// Must never put the password into an error message or a log line.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace keepsake {

struct RedisConfig {
  std::string host = "redis";
  int port = 6379;
  std::string socket;    // a Unix socket path; when set, host and port are not used
  std::string username;
  std::string password;  // secret: never log
  int db_index = 0;

  // Where it points, without the password: "redis://user@host:6379/0" or "unix:/run/redis.sock (db 0)".
  std::string display() const;
};

// Nothing when no Redis variable is set (there is no channel). Throws keepsake::Error
// (kInvalidArgument) naming the variable that is wrong.
std::optional<RedisConfig> load_redis_config(const std::map<std::string, std::string>& env);

// Whether this process's environment configures the channel (any Redis variable is set). Throws
// like load_redis_config when one is invalid.
bool restart_channel_configured();

// The variables that configure the channel, for messages: "REDIS_HOSTNAME, REDIS_PORT, ...".
std::string redis_variable_names();

}  // namespace keepsake
