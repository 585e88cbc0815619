// The admin console's storage actions (admin only):
//   POST /api/admin/storage/scan           starts a database-vs-disk scan (`keepsake storage scan`) in
//                                          the background (202; 409 while any background task runs);
//                                          its result lands in keepsake.storage_scan (storage/scan_record.h);
//   GET  /api/admin/storage/task           the background task (scan, storage verification, files
//                                          backup) with its progress, for polling;
//   GET  /api/admin/storage/problem-files  a page of the problem files: ?list=missing-irreplaceable,
//                                          missing-regenerable, orphan or foreign (the last scan's, the
//                                          first 1000 of each kept) or checksum (the checksum
//                                          verification's findings); &offset=0&limit=50 (at most 500).
#include <charconv>

#include "app/app_context.h"
#include "db/pool.h"
#include "http/background_tasks.h"
#include "http/routes.h"
#include "storage/checksum_verify.h"
#include "storage/file_scan.h"
#include "storage/scan_record.h"

namespace keepsake::http {
namespace {

using nlohmann::json;
constexpr int64_t kDefaultPage = 50, kMaxPage = 500;

const app::AppContext& app_of(const RouteDeps& deps) {
  if (!deps.app || !deps.pool) throw Error(ErrorKind::kUnavailable, "The storage routes need the database");
  return *deps.app;
}

json scan_now(const DatabaseConfig& db, const std::string& media_location, const files::ProgressFn& progress) {
  auto conn = db::Connection::open(db);
  storage::ScanReport report;
  storage::ScanOptions options{.progress_every = 1, .on_progress = [&](const storage::ScanProgress& p) {
                                 if (p.rows_total <= 0) return progress("scan", -1);
                                 progress("scan", std::min(100.0, 100.0 * static_cast<double>(p.rows_done) /
                                                                      static_cast<double>(p.rows_total)));
                               }};
  storage::scan_storage(*conn, storage::StorageLayout(media_location), report, options);
  const auto& s = report.summary;
  return {{"rows", s.rows}, {"files", s.files}, {"missingIrreplaceable", s.irreplaceable.count},
          {"missingRegenerable", s.regenerable.count}, {"orphans", s.orphans}, {"foreignPaths", s.foreign}};
}

int64_t query_number(const RequestContext& ctx, const std::string& name, int64_t fallback, int64_t max) {
  auto text = ctx.query(name);
  if (!text) return fallback;
  int64_t value = -1;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0 || value > max) {
    throw Error(ErrorKind::kInvalidArgument, name + " must be a whole number from 0 to " + std::to_string(max));
  }
  return value;
}

json file_json(const std::string& problem, const std::string& kind, const std::string& asset_id,
               const std::string& owner_id, const std::string& owner_email, const std::string& path) {
  auto or_null = [](const std::string& s) { return s.empty() ? json() : json(s); };
  return {{"problem", problem}, {"kind", kind}, {"assetId", or_null(asset_id)}, {"ownerId", or_null(owner_id)},
          {"ownerEmail", or_null(owner_email)}, {"path", path}};
}

json problem_files(db::Connection& conn, const std::string& list, int64_t offset, int64_t limit) {
  json out = {{"list", list}, {"offset", offset}, {"limit", limit}, {"files", json::array()}};
  if (list == "checksum") {
    auto page = storage::read_verify_findings(conn, offset, limit);
    out.update({{"total", page.total}, {"kept", page.total}});
    for (const auto& f : page.findings) {
      out["files"].push_back(file_json(f.problem, "original", f.asset_id, f.owner_id, f.owner_email, f.path));
    }
    return out;
  }
  auto page = storage::read_scan_files(conn, list, offset, limit);
  out.update({{"total", page.total}, {"kept", page.kept}});
  for (const auto& f : page.files) {
    auto j = file_json(list, f.kind, f.asset_id, f.owner_id, f.owner_email, f.path);
    j["column"] = f.column.empty() ? json() : json(f.column);
    out["files"].push_back(j);
  }
  return out;
}

}  // namespace

KEEPSAKE_ROUTES(storage, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.post("/api/admin/storage/scan", {Access::kAdmin}, [&deps](RequestContext& ctx) {
    const auto& app = app_of(deps);
    start_background_task(ctx, "scan", [db = app.database(), media = app.config().media_location](
                                           const files::ProgressFn& progress) { return scan_now(db, media, progress); });
  });
  routes.get("/api/admin/storage/task", {Access::kAdmin}, [](RequestContext& ctx) {
    send_json(ctx.response(), {{"task", background_task_json()}});
  });
  routes.get("/api/admin/storage/problem-files", {Access::kAdmin}, [&deps](RequestContext& ctx) {
    app_of(deps);
    auto list = ctx.query("list");
    if (!list) throw Error(ErrorKind::kInvalidArgument, "list is required", "missing-irreplaceable, missing-regenerable, orphan, foreign or checksum");
    auto offset = query_number(ctx, "offset", 0, INT32_MAX);
    auto limit = query_number(ctx, "limit", kDefaultPage, kMaxPage);
    auto conn = deps.pool->acquire();
    send_json(ctx.response(), problem_files(*conn, *list, offset, limit));
  });
});

}  // namespace keepsake::http
