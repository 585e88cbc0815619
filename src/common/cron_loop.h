// The background thread of every scheduler in `keepsake serve` (database backups, files
// backups, PITR base backups): it reads the schedule, sleeps until the next cron tick or the
// next settings poll, whichever comes first, and runs the tick once its time has come. Settings
// errors are logged once per streak and retried at the next poll. It must never run a tick
// before its time, and stop() must never leave the thread running.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace keepsake {

struct CronLoopOptions {
  std::string name;  // in the log line of a settings error
  std::chrono::milliseconds poll{60000};
  // The cron expression while the schedule is on, nullopt while off; read at every wake. May throw.
  std::function<std::optional<std::string>()> schedule;
  std::function<void(std::chrono::system_clock::time_point tick)> on_tick;
  std::function<void()> after_wake;  // optional: runs after every wake (health checks)
};

class CronLoop {
 public:
  explicit CronLoop(CronLoopOptions options) : options_(std::move(options)) {}
  ~CronLoop() { stop(); }
  CronLoop(const CronLoop&) = delete;
  CronLoop& operator=(const CronLoop&) = delete;

  void start();  // no-op while running
  void stop();   // wakes the thread and joins it (a running tick finishes first)

 private:
  void run();
  bool sleep_until(std::chrono::system_clock::time_point until);  // false once stopping

  CronLoopOptions options_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace keepsake
