// The handlers of Keepsake's jobs (spec §7.3 plus DatabaseBackup), wired to the system config
// (trash days, user delete delay) and the media location, and the failure hook that tells the
// admin about a failed DatabaseBackup. Interfaces (serve, CLI, HTTP) use these; tests may build
// their own registries.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "jobs/worker_pool.h"

namespace keepsake::jobs {

// Handlers for every job this module implements, keyed by Immich's job name.
HandlerRegistry default_handlers(const Config& config, const DatabaseConfig& db);

// On a final failure of DatabaseBackup not reported by its handler: the admin's JobFailed
// notification (spec §5.3).
FailureHook default_failure_hook(const DatabaseConfig& db);

// Runs one job now, in this thread, on `conn` (the CLI's `jobs run`). Throws what the handler
// throws; Error(kInvalidArgument) for a name without a handler.
void run_job_now(const HandlerRegistry& handlers, db::Connection& conn, const std::string& name,
                 const nlohmann::json& data = nlohmann::json::object());

// Accepts an Immich ManualJobName ("tag-cleanup") or a job name ("TagCleanup"); returns the job
// name or throws Error(kInvalidArgument) listing the accepted names.
std::string resolve_job_name(const HandlerRegistry& handlers, const std::string& name);

}  // namespace keepsake::jobs
