// The admin console's Keepsake routes for the state of protection (admin only):
// GET /api/admin/protection (the verdict, its reasons, the backups with their verification, the
// other sources or why they are unavailable, the 30-day timeline) and
// POST /api/admin/database-backups/:filename/verify (reads a backup through and records the outcome).
#include "app/app_context.h"
#include "backup/backup_files.h"
#include "backup/backup_verifications.h"
#include "db/pool.h"
#include "http/routes.h"
#include "protection/protection.h"

namespace keepsake::http {
namespace {

using nlohmann::json;

json availability_json(const protection::Availability& a) {
  json out = {{"available", a.available}};
  if (!a.available) out["reason"] = a.reason;
  return out;
}

json backups_json(const std::vector<protection::BackupState>& backups) {
  json out = json::array();
  for (const auto& b : backups) {
    out.push_back({{"filename", b.filename},
                   {"filesize", b.size},
                   {"madeAt", b.made_at},
                   {"verification", b.verification},
                   {"verifiedAt", b.verified_at},
                   {"verificationMessage", b.verification_message}});
  }
  return out;
}

json checksum_json(const protection::ChecksumState& c) {
  json out = availability_json(c);
  if (!c.available) return out;
  out.update({{"startedAt", c.started_at}, {"finishedAt", c.finished_at}, {"checked", c.checked},
              {"total", c.total}, {"problemCount", c.problem_count}, {"problems", json::array()}});
  for (const auto& [problem, path] : c.problems) out["problems"].push_back({{"problem", problem}, {"path", path}});
  return out;
}

json scan_json(const protection::ScanState& s) {
  json out = availability_json(s);
  if (s.available) {
    out.update({{"startedAt", s.started_at}, {"finishedAt", s.finished_at}, {"rows", s.rows}, {"files", s.files},
                {"missingIrreplaceable", s.missing_irreplaceable}, {"missingRegenerable", s.missing_regenerable},
                {"orphans", s.orphans}, {"foreignPaths", s.foreign}});
  }
  return out;
}

json pitr_json(const protection::PitrState& p) {
  json out = availability_json(p);
  if (p.available) {
    out.update({{"earliest", p.earliest}, {"latest", p.latest}, {"lastBaseBackup", p.last_base_backup},
                {"problems", p.problems}});
  }
  return out;
}

json snapshots_json(const protection::SnapshotState& s) {
  json out = availability_json(s);
  if (s.available) out.update({{"lastSnapshot", s.last_snapshot}, {"snapshots", s.snapshots}});
  return out;
}

json report_json(const protection::Report& r) {
  json timeline = json::array();
  for (const auto& e : r.timeline) {
    timeline.push_back({{"at", e.at}, {"kind", e.kind}, {"ok", e.ok}, {"label", e.label}});
  }
  json failure = nullptr;
  if (r.last_failure) failure = {{"at", r.last_failure->at}, {"message", r.last_failure->message}};
  return {{"verdict", protection::verdict_name(r.verdict)},
          {"reasons", r.reasons},
          {"schedule",
           {{"enabled", r.schedule.enabled},
            {"cronExpression", r.schedule.cron_expression},
            {"keepLastAmount", r.schedule.keep_last_amount}}},
          {"backups", backups_json(r.backups)},
          {"lastFailure", failure},
          {"checksum", checksum_json(r.checksum)},
          {"storageScan", scan_json(r.scan)},
          {"pitr", pitr_json(r.pitr)},
          {"fileSnapshots", snapshots_json(r.snapshots)},
          {"library", {{"users", r.users}, {"assets", r.assets}}},
          {"timelineDays", protection::kTimelineDays},
          {"timeline", timeline}};
}

const app::AppContext& app_of(const RouteDeps& deps) {
  if (!deps.app || !deps.pool) throw Error(ErrorKind::kUnavailable, "The protection overview needs the database");
  return *deps.app;
}

}  // namespace

KEEPSAKE_ROUTES(protection, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/admin/protection", {Access::kAdmin, "maintenance"}, [&deps](RequestContext& ctx) {
    Config config = app_of(deps).config();
    config.db = deps.app->database();
    auto conn = deps.pool->acquire();
    auto report = protection::read_protection(*conn, {.config = config, .env = process_environment()});
    send_json(ctx.response(), report_json(report));
  });
  routes.post("/api/admin/database-backups/:filename/verify", {Access::kAdmin, "maintenance"},
              [&deps](RequestContext& ctx) {
                std::string name = ctx.path_param("filename");
                if (!backup::is_valid_filename_param(name)) {
                  throw Error(ErrorKind::kInvalidArgument, "Filename contains invalid characters");
                }
                auto folder = backup::backups_folder(app_of(deps).config().media_location);
                auto conn = deps.pool->acquire();
                auto v = backup::verify_and_record(*conn, folder, name);
                send_json(ctx.response(), {{"filename", v.filename},
                                           {"verifiedAt", v.verified_at},
                                           {"ok", v.ok},
                                           {"message", v.message}});
              });
});

}  // namespace keepsake::http
