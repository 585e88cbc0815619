#include "common/cron_loop.h"

#include "common/cron.h"
#include "common/log.h"

namespace keepsake {

void CronLoop::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CronLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool CronLoop::sleep_until(std::chrono::system_clock::time_point until) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, until, [this] { return stopping_; });
  return !stopping_;
}

void CronLoop::run() {
  using clock = std::chrono::system_clock;
  std::string last_error;
  while (true) {
    auto now = clock::now();
    auto wake_at = now + options_.poll;
    std::optional<clock::time_point> tick;
    try {
      if (auto cron = options_.schedule()) {
        tick = CronExpression::parse(*cron).next_after(now);
        wake_at = std::min(wake_at, *tick);
      }
      last_error.clear();
    } catch (const std::exception& e) {
      if (last_error != e.what()) spdlog::error("{}: {}", options_.name, e.what());
      last_error = e.what();
    }
    if (!sleep_until(wake_at)) return;
    if (tick && clock::now() >= *tick) options_.on_tick(*tick);
    if (options_.after_wake) options_.after_wake();
  }
}

}  // namespace keepsake
