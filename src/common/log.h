// Logging for every module: spdlog with one format, plus helpers that keep secrets out of logs.
// Never log a password, token, API key or a connection string that holds a password:
// pass such strings through redact_url() first.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace keepsake::log {

// Sets the global logger's format and level ("verbose", "debug", "log", "warn", "error" as Immich's
// IMMICH_LOG_LEVEL, or spdlog's names). Logs go to stderr so stdout stays for command output.
void init(std::string_view level = "log");

// Replaces the password in a postgresql:// URL, a "password=..." keyword pair, or both, with "***".
std::string redact_url(std::string_view text);

}  // namespace keepsake::log
