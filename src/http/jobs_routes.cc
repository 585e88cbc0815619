// Immich's job routes (admin only): GET /api/jobs (counts and state per queue), POST /api/jobs
// (a ManualJobName), PUT /api/jobs/:name (queue commands start, pause, resume, empty,
// clear-failed), and Keepsake's GET /api/admin/jobs/failed (the latest failures of every queue with
// their errors) and GET /api/admin/jobs/nightly (the nightly schedule: its time, the jobs it queues,
// its next 3 runs and the last one), for the admin console. The queue lives in keepsake.job;
// handlers only translate requests.
#include "config/system_config.h"
#include "db/pool.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "jobs/job_names.h"
#include "jobs/nightly.h"
#include "jobs/queue.h"
#include "pitr/pitr.h"

namespace keepsake::http {
namespace {

constexpr int kFailuresPerQueue = 10;
constexpr int kNextRuns = 3;

std::string iso(jobs::Clock::time_point t) {
  return pitr::format_iso8601(std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

// The nightly schedule, with the jobs an admin can run by hand (Immich's ManualJobName values).
nlohmann::json nightly_json(db::Connection& conn) {
  auto s = config::nightly_tasks_settings(config::load_system_config(conn));
  nlohmann::json out = {{"startTime", s.start_time},
                        {"jobs", jobs::nightly_jobs(s.database_cleanup, s.generate_memories, s.sync_quota_usage)},
                        {"nextRuns", nlohmann::json::array()},
                        {"manualJobs", jobs::manual_job_names()}};
  try {
    auto at = jobs::Clock::now();
    for (int i = 0; i < kNextRuns; ++i) out["nextRuns"].push_back(iso(at = jobs::next_slot(s.start_time, at)));
  } catch (const Error& e) {
    out["problem"] = e.what();
  }
  auto last = conn.exec(R"(SELECT to_char(last_slot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                             FROM keepsake.job_schedule WHERE name = 'nightly')",
                        {}, "read the nightly schedule's last run");
  out["lastRun"] = last.empty() ? nlohmann::json() : nlohmann::json(last.text(0, 0));
  return out;
}

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
  routes.get("/api/admin/jobs/nightly", {Access::kAdmin, "job.read"}, [&deps](RequestContext& ctx) {
    auto conn = deps.pool->acquire();
    jobs::ensure_queue_schema(*conn);
    send_json(ctx.response(), nightly_json(*conn));
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
