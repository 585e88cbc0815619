// The nightly slice of the checksum verification of originals (`storage verify`, issue 18): at
// each tick of storage.verify.cronExpression (keepsake-config, default 04:00) the instance that
// claims the tick under lock StorageVerifySlice checks the next 1/passDays of the originals
// (default 30, so every original is read once a month), throttled to storage.verify.maxMbPerSecond,
// continuing the pass kept in the database. Newly found damaged or missing originals give the admin
// the failed-job notification (job "StorageVerify") and one error line. Reads the media folder
// only; must never write to it, nor run a tick twice.
#pragma once

#include <chrono>
#include <optional>

#include "common/cron_loop.h"
#include "config/config.h"
#include "storage/checksum_verify.h"

namespace keepsake::files {

class VerifyScheduler {
 public:
  explicit VerifyScheduler(DatabaseConfig db, std::chrono::milliseconds config_poll = std::chrono::seconds(60));
  ~VerifyScheduler() { stop(); }
  VerifyScheduler(const VerifyScheduler&) = delete;
  VerifyScheduler& operator=(const VerifyScheduler&) = delete;

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  // One tick, as the thread runs it: the slice's result, or nullopt when it did not run (switched
  // off, another instance holds the lock or ran this tick, or it failed: logged). Never throws.
  std::optional<storage::VerifyResult> run_tick(std::chrono::system_clock::time_point tick);

 private:
  DatabaseConfig db_;
  CronLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace keepsake::files
