#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <regex>

namespace keepsake::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("keepsake");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum lvl = spdlog::level::info;
  if (level == "verbose" || level == "trace") lvl = spdlog::level::trace;
  else if (level == "debug") lvl = spdlog::level::debug;
  else if (level == "warn") lvl = spdlog::level::warn;
  else if (level == "error") lvl = spdlog::level::err;
  else if (level == "fatal") lvl = spdlog::level::critical;
  spdlog::set_level(lvl);
}

std::string redact_url(std::string_view text) {
  // After any scheme (a mistyped one too: a URL is shown because it is wrong), up to the last '@'
  // of the authority (a URL that is shown may hold unencoded '@', spaces or line breaks).
  static const std::regex kUrlPassword(R"((://[^:/]*:)[^/]*@)");
  static const std::regex kKeywordPassword(R"((password\s*=\s*)('[^']*'|\S+))",
                                           std::regex::icase);
  std::string out = std::regex_replace(std::string(text), kUrlPassword, "$1***@");
  return std::regex_replace(out, kKeywordPassword, "$1***");
}

}  // namespace keepsake::log
