// What `keepsake serve` runs for jobs: the worker pool (backgroundTask and backupDatabase with
// Immich's concurrency, all of Keepsake's handlers, the admin notification for a failed backup)
// and the nightly scheduler. Stops both when destroyed, waiting for running jobs to finish.
#pragma once

#include <memory>

#include "config/config.h"
#include "jobs/nightly.h"
#include "jobs/worker_pool.h"

namespace keepsake::jobs {

class JobService {
 public:
  JobService(const DatabaseConfig& db, const Config& config);
  ~JobService();
  void start();
  void stop();
  WorkerPool& workers() { return workers_; }

 private:
  WorkerPool workers_;
  NightlyScheduler nightly_;
};

// Builds and starts the service (throws when the database cannot be reached).
std::unique_ptr<JobService> start_job_service(const DatabaseConfig& db, const Config& config);

}  // namespace keepsake::jobs
