#include "jobs/job_service.h"

#include "jobs/handlers.h"

namespace keepsake::jobs {
namespace {

WorkerOptions service_options() {
  WorkerOptions o;
  o.concurrency = default_concurrency();
  return o;
}

}  // namespace

JobService::JobService(const DatabaseConfig& db, const Config& config)
    : workers_(db, default_handlers(config, db), service_options()), nightly_(db) {
  workers_.set_failure_hook(default_failure_hook(db));
}

JobService::~JobService() { stop(); }

void JobService::start() {
  workers_.start();
  nightly_.start();
}

void JobService::stop() {
  nightly_.stop();
  workers_.stop();
}

std::unique_ptr<JobService> start_job_service(const DatabaseConfig& db, const Config& config) {
  auto service = std::make_unique<JobService>(db, config);
  service->start();
  return service;
}

}  // namespace keepsake::jobs
