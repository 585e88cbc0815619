// `keepsake jobs status|run <name>|pause <queue>|resume <queue>`: the job queue from the command
// line. `run` runs a job now in this process (or only queues it for the server with --queue).
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "db/connection.h"
#include "jobs/handlers.h"
#include "jobs/job_names.h"
#include "jobs/queue.h"
#include "jobs/worker_pool.h"

namespace keepsake::cli {
namespace {

std::unique_ptr<db::Connection> open_queue(app::AppContext& c) {
  c.ensure_database_running();
  auto conn = db::Connection::open(c.database());
  jobs::ensure_queue_schema(*conn);
  return conn;
}

void print_status(app::AppContext& c, bool all) {
  auto conn = open_queue(c);
  jobs::JobQueue queue(*conn);
  std::cout << fmt::format("{:<26}{:>8}{:>9}{:>9}{:>9}{:>8}  {}\n", "queue", "active", "waiting",
                           "delayed", "failed", "paused", "state");
  for (const auto& name : jobs::all_queue_names()) {
    auto n = queue.counts(name);
    bool empty = n.active + n.waiting + n.delayed + n.failed + n.paused == 0;
    if (empty && !n.is_paused && !all) continue;
    std::cout << fmt::format("{:<26}{:>8}{:>9}{:>9}{:>9}{:>8}  {}\n", name, n.active, n.waiting,
                             n.delayed, n.failed, n.paused, n.is_paused ? "paused" : "running");
    for (const auto& f : queue.failed_jobs(name, 5)) {
      std::cout << fmt::format("  failed {} #{} at {}: {}\n", f.name, f.id, f.failed_at, f.error);
    }
  }
}

void run_job(app::AppContext& c, const std::string& name, bool only_queue) {
  auto conn = open_queue(c);
  auto handlers = jobs::default_handlers(c.config(), c.database());
  std::string job = jobs::resolve_job_name(handlers, name);
  if (only_queue) {
    int64_t id = jobs::JobQueue(*conn).enqueue(jobs::JobRequest(job));
    std::cout << "Queued " << job << " (id " << id << ") on " << jobs::queue_for_job(job) << "\n";
    return;
  }
  jobs::run_job_now(handlers, *conn, job);
  std::cout << job << " done\n";
}

void drain_queue(app::AppContext& c, const std::string& queue) {
  c.ensure_database_running();
  jobs::WorkerPool pool(c.database(), jobs::default_handlers(c.config(), c.database()),
                        {.concurrency = {{queue, 1}}});
  int64_t ran = pool.drain(queue);
  std::cout << "Ran " << ran << " job(s) of " << queue << "; " << pool.failed() << " failed\n";
  if (pool.failed() > 0) {
    throw Error(ErrorKind::kInternal, std::to_string(pool.failed()) + " job(s) of " + queue + " failed",
                "their errors are in `keepsake jobs status`");
  }
}

}  // namespace

void register_jobs_commands(CLI::App& app, ContextProvider& ctx) {
  auto* group = app.add_subcommand("jobs", "Job queue: status, run a job, pause or resume a queue");
  group->require_subcommand(1);

  auto* status = group->add_subcommand("status", "Counts per queue and recent failures");
  static bool all = false;
  status->add_flag("--all", all, "Also list empty queues");
  status->callback([&] { print_status(ctx.get(), all); });

  auto* run = group->add_subcommand("run", "Run a job now (e.g. tag-cleanup or SessionCleanup)");
  static std::string name;
  static bool only_queue = false;
  run->add_option("name", name, "Immich's manual job name or a job name")->required();
  run->add_flag("--queue", only_queue, "Only queue it for the server's workers");
  run->callback([&] { run_job(ctx.get(), name, only_queue); });

  static std::string drain_name = jobs::queue_name::kBackgroundTask;
  auto* drain = group->add_subcommand(
      "drain", "Run a queue's waiting jobs in this process until none is left (no server needed)");
  drain->add_option("queue", drain_name, "Queue name (default backgroundTask)");
  drain->callback([&] { drain_queue(ctx.get(), drain_name); });

  static std::string queue_name;
  auto* pause = group->add_subcommand("pause", "Pause a queue (its jobs wait)");
  pause->add_option("queue", queue_name, "Queue name, e.g. backgroundTask")->required();
  pause->callback([&] {
    auto conn = open_queue(ctx.get());
    jobs::JobQueue(*conn).pause(queue_name);
    std::cout << "Paused " << queue_name << "\n";
  });
  auto* resume = group->add_subcommand("resume", "Resume a paused queue");
  resume->add_option("queue", queue_name, "Queue name, e.g. backgroundTask")->required();
  resume->callback([&] {
    auto conn = open_queue(ctx.get());
    jobs::JobQueue(*conn).resume(queue_name);
    std::cout << "Resumed " << queue_name << "\n";
  });
}

}  // namespace keepsake::cli
