// What the crash, restart, external-cluster and fault tests of PITR share: a power-cut kill of a
// cluster, a writer that commits rows until told to stop, the log captured, bounded waits.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "config/config.h"

namespace keepsake::testing {

// SIGKILL to the postmaster of `data_dir` and to each of its children, as a power cut would.
void kill_cluster(const std::string& data_dir);

// Polls `done` every 50 ms for at most `limit`; true once it held.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// Commits one row of `items` per transaction on its own connection until stop(); counts the
// commits the server acknowledged and the slowest one.
class Writer {
 public:
  explicit Writer(const DatabaseConfig& db);
  ~Writer();
  void stop();
  int acknowledged() const { return acknowledged_; }
  double slowest_ms() const { return slowest_ms_; }

 private:
  std::atomic<bool> stopping_{false};
  std::atomic<int> acknowledged_{0};
  std::atomic<double> slowest_ms_{0};
  std::thread thread_;
};

// Keeps the log lines written while it lives (all levels).
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::string text() const;

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace keepsake::testing
