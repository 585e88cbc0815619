// The media folder's backup for the web pages (admins only, docs/FILES.md "HTTP"):
//   GET  /api/admin/files         the repository, its snapshots, the library points with their
//                                 verification state, the last `files check` and storage
//                                 verification, and the background task with its progress;
//   POST /api/admin/files/backup  starts a files backup in the background (202);
//   POST /api/admin/files/verify  starts a storage verification (`storage verify`) likewise.
// One background task at a time per server (409 while one runs; http/background_tasks.h).
#include "app/app_context.h"
#include "files/files_jobs.h"
#include "http/background_tasks.h"
#include "http/routes.h"
#include "storage/checksum_verify.h"

namespace keepsake::http {
namespace {

using nlohmann::json;

const app::AppContext& app_of(const RouteDeps& deps) {
  if (!deps.app) throw Error(ErrorKind::kInternal, "the files routes need the app context");
  return *deps.app;
}

json findings_json(const std::vector<storage::ChecksumFinding>& findings) {
  json out = json::array();
  for (const auto& f : findings) {
    out.push_back({{"assetId", f.asset_id}, {"ownerId", f.owner_id}, {"ownerEmail", f.owner_email},
                   {"path", f.path}, {"problem", f.problem}});
  }
  return out;
}

json verification_json(db::Connection& conn) {
  auto s = storage::read_verify_status(conn);
  if (!s) return nullptr;
  return {{"startedAt", s->started_at}, {"finishedAt", s->finished_at ? json(*s->finished_at) : json()},
          {"checked", s->checked}, {"total", s->total}, {"findingCount", s->finding_count},
          {"findings", findings_json(s->findings)}};
}

// The repository part; a repository that cannot be read is reported in repositoryError.
void add_repository(json& out, const files::FilesSettings& settings) {
  out["repository"] = nullptr;
  out["snapshots"] = json::array();
  out["libraryPoints"] = json::array();
  out["repositories"] = json::array();
  out["repositoryChecks"] = json::array();
  if (!files::repository_configured(settings)) return;
  try {
    out["repositoryChecks"] = files::repository_checks(settings);
    out["repository"] = files::shown_repository(files::configured_repository(settings));
    auto snapshots = files::list_snapshots(settings);
    for (const auto& s : snapshots) {
      out["snapshots"].push_back({{"id", s.id}, {"shortId", s.short_id}, {"time", s.time},
                                  {"paths", s.paths}, {"tags", s.tags},
                                  {"databaseBackup", s.db_backup.empty() ? json() : json(s.db_backup)}});
    }
    std::vector<std::string> unreadable;
    for (const auto& p : files::list_library_points(settings, &unreadable)) {
      out["libraryPoints"].push_back(files::library_point_json(p));
    }
    for (const auto& r : files::configured_repositories(settings)) {
      out["repositories"].push_back(files::shown_repository(r.url));
    }
    if (!unreadable.empty()) out["repositoryError"] = unreadable.front();
  } catch (const Error& e) {
    out["repositoryError"] = e.full_message();
  }
}

void status(RequestContext& ctx, const RouteDeps& deps) {
  const auto& app = app_of(deps);
  json out = json::object();
  // The task first: a task that ends while the repository is read (restic takes seconds) must
  // not be shown as done beside the snapshots from before it.
  out["task"] = background_task_json();
  add_repository(out, files::files_settings_of(app.config()));
  auto conn = db::Connection::open(app.database());
  out["verification"] = verification_json(*conn);
  send_json(ctx.response(), out);
}

json backup_now(const DatabaseConfig& db, const files::FilesSettings& settings,
                const files::ProgressFn& progress) {
  files::FilesJobOptions options{.db = db, .settings = settings};
  options.backup.progress = progress;
  switch (files::run_files_backup_job(options)) {
    case files::FilesJobOutcome::kDone: return {{"outcome", "done"}};
    case files::FilesJobOutcome::kSomeRepositoriesFailed:
      throw Error(ErrorKind::kUnavailable, "the snapshot failed in some repositories",
                  "each failure is in the admin's notifications; the other repositories have it");
    case files::FilesJobOutcome::kBusy:
      throw Error(ErrorKind::kConflict, "another server is making a files backup");
    default: throw Error(ErrorKind::kNotFound, "no restic repository configured");
  }
}

json verify_now(const DatabaseConfig& db, bool all, const files::ProgressFn& progress) {
  auto conn = db::Connection::open(db);
  storage::VerifyOptions options;
  options.restart = all;
  options.on_progress = [&](const storage::VerifyProgress& p) {
    progress("verify", p.total > 0 ? 100.0 * static_cast<double>(p.checked_in_pass) / static_cast<double>(p.total) : -1);
  };
  auto r = storage::verify_checksums(*conn, options);
  return {{"passComplete", r.pass_complete}, {"checked", r.checked_in_pass}, {"total", r.total},
          {"bytesRead", r.bytes_this_run}, {"findings", r.findings.size()}};
}

}  // namespace

KEEPSAKE_ROUTES(files, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/admin/files", {Access::kAdmin}, [&deps](RequestContext& ctx) { status(ctx, deps); });
  routes.post("/api/admin/files/backup", {Access::kAdmin}, [&deps](RequestContext& ctx) {
    const auto& app = app_of(deps);
    auto settings = files::files_settings_of(app.config());
    files::configured_repository(settings);  // kNotFound (404) before anything starts
    start_background_task(ctx, "backup", [db = app.database(), settings](const files::ProgressFn& progress) {
      return backup_now(db, settings, progress);
    });
  });
  routes.post("/api/admin/files/verify", {Access::kAdmin}, [&deps](RequestContext& ctx) {
    auto body = ctx.json_body();
    bool all = body.is_object() && body.value("all", false);
    start_background_task(ctx, "verify", [db = app_of(deps).database(), all](const files::ProgressFn& progress) {
      return verify_now(db, all, progress);
    });
  });
});

}  // namespace keepsake::http
