#include "db/embedded_watchdog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace keepsake::db {

namespace fs = std::filesystem;

std::string last_server_failure(const std::string& log_file) {
  std::ifstream in(log_file, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::streamoff>(in.tellg());
  in.seekg(std::max<std::streamoff>(0, size - 64 * 1024));
  std::string line, panic, fatal;
  while (std::getline(in, line)) {
    if (line.find("PANIC:") != std::string::npos) panic = line;
    // "the database system is ..." only answers connections during the crash, not its cause.
    if (line.find("FATAL:") != std::string::npos &&
        line.find("the database system is") == std::string::npos) {
      fatal = line;
    }
  }
  return panic.empty() ? fatal : panic;
}

EmbeddedWatchdog::EmbeddedWatchdog(EmbeddedPostgres& pg, std::chrono::milliseconds interval,
                                   std::chrono::milliseconds max_backoff)
    : pg_(pg), interval_(interval), max_backoff_(max_backoff) {}

EmbeddedWatchdog::~EmbeddedWatchdog() { stop(); }

void EmbeddedWatchdog::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread(&EmbeddedWatchdog::loop, this);
}

void EmbeddedWatchdog::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string EmbeddedWatchdog::last_problem() const {
  std::lock_guard lock(mu_);
  return last_problem_;
}

bool EmbeddedWatchdog::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopping_.load(); });
}

void EmbeddedWatchdog::loop() {
  while (sleep_for(interval_)) {
    // A swap of its data folder (or a start by another process) stops it on purpose.
    if (pg_.postmaster_alive() || pg_.busy()) continue;
    std::error_code ec;
    auto space = fs::space(pg_.data_dir(), ec);
    std::string reason = last_server_failure(pg_.log_file());
    std::string problem = "the embedded PostgreSQL stopped" +
                          (reason.empty() ? std::string() : ": " + reason) + " (" +
                          std::to_string(ec ? 0 : space.available / (1024 * 1024)) +
                          " MiB free on the disk of " + pg_.data_dir() + ")";
    {
      std::lock_guard lock(mu_);
      last_problem_ = problem;
    }
    spdlog::error("{}; starting it again. If its disk is full, free space there: Keepsake keeps "
                  "trying until it runs.", problem);
    auto backoff = interval_;
    while (!stopping_ && !try_restart()) {
      if (!sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, max_backoff_);
    }
  }
}

bool EmbeddedWatchdog::try_restart() {
  try {
    pg_.start();
    ++restarts_;
    spdlog::info("The embedded PostgreSQL is running again");
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("The embedded PostgreSQL does not start yet: {}", e.what());
    return false;
  }
}

}  // namespace keepsake::db
