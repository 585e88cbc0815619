// The background task the admin pages start (a files backup, a storage verification, a storage
// scan; one at a time per server, files/files_jobs.h's BackgroundTasks): its state as JSON, and
// the start that answers 202 with it, or 409 while another task runs.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "files/files_jobs.h"
#include "http/request_context.h"

namespace keepsake::http {

// {kind, running, phase, percent, startedAt, finishedAt, error, result}; null before the first task.
nlohmann::json background_task_json();

void start_background_task(RequestContext& ctx, const std::string& kind,
                           std::function<nlohmann::json(const files::ProgressFn&)> work);

}  // namespace keepsake::http
