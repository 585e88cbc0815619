// Keeps the embedded PostgreSQL running under `keepsake serve`. PostgreSQL shuts itself down when
// its disk fills (a PANIC on a WAL write), and a kill or an OOM kill ends it too; nothing would
// start it again, so the library would stay down after the space is freed. The watchdog notices
// that the postmaster is gone, logs once why (the last PANIC or FATAL line of its log, and the
// free space of its disk), and starts it again with back-off until it runs.
// Must never start a cluster that Keepsake stopped on purpose: it acts only while it is started,
// serve stops it before stopping the cluster, and it leaves the cluster alone while another holds
// the cluster lock (a data-folder swap under way).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "db/embedded_postgres.h"

namespace keepsake::db {

class EmbeddedWatchdog {
 public:
  explicit EmbeddedWatchdog(EmbeddedPostgres& pg,
                            std::chrono::milliseconds interval = std::chrono::seconds(2),
                            std::chrono::milliseconds max_backoff = std::chrono::seconds(60));
  ~EmbeddedWatchdog();
  EmbeddedWatchdog(const EmbeddedWatchdog&) = delete;
  EmbeddedWatchdog& operator=(const EmbeddedWatchdog&) = delete;

  void start();
  void stop();  // idempotent; waits for a start attempt under way

  // Why the cluster last stopped ("" while it never did), and how many times it was started again.
  std::string last_problem() const;
  int restarts() const { return restarts_.load(); }

 private:
  void loop();
  bool try_restart();
  bool sleep_for(std::chrono::milliseconds d);  // false when stopping

  EmbeddedPostgres& pg_;
  std::chrono::milliseconds interval_, max_backoff_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> restarts_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string last_problem_;
};

// The last PANIC (else FATAL) line of a PostgreSQL log, from its final 64 KiB; "" when none.
std::string last_server_failure(const std::string& log_file);

}  // namespace keepsake::db
