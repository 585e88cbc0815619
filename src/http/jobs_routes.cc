// Immich's job routes (admin only): GET /api/jobs (counts and state per queue), POST /api/jobs
// (a ManualJobName), PUT /api/jobs/:name (queue commands start, pause, resume, empty,
// clear-failed), and Keepsake's GET /api/admin/jobs/failed (the latest failures of every queue with
// their errors, for the admin console). The queue lives in keepsake.job; handlers only translate
// requests.
#include "db/pool.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "jobs/job_names.h"
#include "jobs/queue.h"

namespace keepsake::http {
namespace {

constexpr int kFailuresPerQueue = 10;

nlohmann::json queue_status(jobs::JobQueue& queue, const std::string& name) {
  auto c = queue.counts(name);
  return {{"jobCounts",
           {{"active", c.active},
            {"completed", c.completed},
            {"delayed", c.delayed},
            {"failed", c.failed},
            {"paused", c.paused},
            {"waiting", c.waiting}}},
          {"queueStatus", {{"isActive", c.active > 0}, {"isPaused", c.is_paused}}}};
}

void require_queue(const std::string& name) {
  if (jobs::is_queue_name(name)) return;
  std::string names;
  for (const auto& q : jobs::all_queue_names()) names += (names.empty() ? "" : ", ") + q;
  throw Error(ErrorKind::kInvalidArgument, "name must be one of the following values: " + names);
}

void run_command(jobs::JobQueue& queue, const std::string& name, const std::string& command) {
  if (command == "pause") return queue.pause(name);
  if (command == "resume") return queue.resume(name);
  if (command == "empty") return static_cast<void>(queue.empty(name));
  if (command == "clear-failed") return static_cast<void>(queue.clear_failed(name));
  if (command == "start") {
    if (name != jobs::queue_name::kBackupDatabase) {
      throw Error(ErrorKind::kInvalidArgument, "Invalid job name: " + name);
    }
    queue.enqueue(jobs::JobRequest(jobs::job_name::kDatabaseBackup));
    return;
  }
  throw Error(ErrorKind::kInvalidArgument,
              "command must be one of the following values: start, pause, resume, empty, "
              "clear-failed");
}

}  // namespace

KEEPSAKE_ROUTES(jobs, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/jobs", {Access::kAdmin, "job.read"}, [&deps](RequestContext& ctx) {
    auto conn = deps.pool->acquire();
    jobs::ensure_queue_schema(*conn);
    jobs::JobQueue queue(*conn);
    nlohmann::json out = nlohmann::json::object();
    for (const auto& name : jobs::all_queue_names()) out[name] = queue_status(queue, name);
    send_json(ctx.response(), out);
  });
  routes.get("/api/admin/jobs/failed", {Access::kAdmin, "job.read"}, [&deps](RequestContext& ctx) {
    auto conn = deps.pool->acquire();
    jobs::ensure_queue_schema(*conn);
    jobs::JobQueue queue(*conn);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& name : jobs::all_queue_names()) {
      for (const auto& f : queue.failed_jobs(name, kFailuresPerQueue)) {
        out.push_back({{"queue", f.queue}, {"name", f.name}, {"error", f.error}, {"failedAt", f.failed_at}});
      }
    }
    send_json(ctx.response(), {{"failures", out}});
  });
  routes.post("/api/jobs", {Access::kAdmin, "job.create"}, [&deps](RequestContext& ctx) {
    std::string manual = read_string_field_body(ctx.json_body(), "name");
    auto job = jobs::job_for_manual_name(manual);
    if (!job) {
      std::string names;
      for (const auto& n : jobs::manual_job_names()) names += (names.empty() ? "" : ", ") + n;
      throw Error(ErrorKind::kInvalidArgument, "name must be one of the following values: " + names);
    }
    auto conn = deps.pool->acquire();
    jobs::ensure_queue_schema(*conn);
    jobs::JobQueue(*conn).enqueue(jobs::JobRequest(*job));
    send_no_content(ctx.response());
  });
  routes.put("/api/jobs/:name", {Access::kAdmin, "job.create"}, [&deps](RequestContext& ctx) {
    std::string name = ctx.path_param("name");
    require_queue(name);
    std::string command = read_string_field_body(ctx.json_body(), "command");
    auto conn = deps.pool->acquire();
    jobs::ensure_queue_schema(*conn);
    jobs::JobQueue queue(*conn);
    run_command(queue, name, command);
    send_json(ctx.response(), queue_status(queue, name));
  });
});

}  // namespace keepsake::http
