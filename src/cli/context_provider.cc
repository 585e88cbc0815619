#include "cli/commands.h"
#include "common/log.h"

namespace keepsake::cli {

app::AppContext& ContextProvider::get() {
  if (!context_) {
    Environment env = process_environment();
    if (!data_dir_flag.empty()) env["KEEPSAKE_DATA_DIR"] = data_dir_flag;
    if (!log_level_flag.empty()) env["IMMICH_LOG_LEVEL"] = log_level_flag;
    Config config = load_config(env);
    spdlog::set_level(config.log_level == "debug"     ? spdlog::level::debug
                      : config.log_level == "verbose" ? spdlog::level::trace
                      : config.log_level == "warn"    ? spdlog::level::warn
                      : config.log_level == "error"   ? spdlog::level::err
                                                      : spdlog::level::info);
    context_ = std::make_unique<app::AppContext>(std::move(config));
  }
  return *context_;
}

}  // namespace keepsake::cli
