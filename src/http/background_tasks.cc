#include "http/background_tasks.h"

#include "common/error.h"
#include "http/responses.h"

namespace keepsake::http {

using nlohmann::json;

namespace {

const char* task_name(const std::string& kind) {
  if (kind == "backup") return "a files backup";
  if (kind == "verify") return "a storage verification";
  if (kind == "scan") return "a storage scan";
  return "a background task";
}

}  // namespace

json background_task_json() {
  auto t = files::BackgroundTasks::instance().last();
  if (!t) return nullptr;
  return {{"kind", t->kind}, {"running", t->running}, {"phase", t->phase},
          {"percent", t->percent < 0 ? json() : json(t->percent)}, {"startedAt", t->started_at},
          {"finishedAt", t->finished_at.empty() ? json() : json(t->finished_at)},
          {"error", t->error.empty() ? json() : json(t->error)}, {"result", t->result}};
}

void start_background_task(RequestContext& ctx, const std::string& kind,
                           std::function<json(const files::ProgressFn&)> work) {
  auto& tasks = files::BackgroundTasks::instance();
  if (!tasks.start(kind, std::move(work))) {
    auto running = tasks.last();
    throw Error(ErrorKind::kConflict, std::string(task_name(running ? running->kind : "")) + " is already running",
                "wait until it finishes: its progress is in GET /api/admin/storage/task");
  }
  send_json(ctx.response(), {{"task", background_task_json()}}, 202);
}

}  // namespace keepsake::http
