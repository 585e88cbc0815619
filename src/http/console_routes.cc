// The admin console (web/console.html) at /admin, and the Keepsake routes it needs beside
// Immich's (admin only): the database backup schedule with its next run times
// (GET/PUT /api/admin/backup-schedule, GET /api/admin/backup-schedule/next-runs?cronExpression=)
// and the instances connected to the database with the state of Immich's restart channel
// (GET /api/admin/instances), and the free space of the disks that hold the library and its backup
// repositories with the space used by each media folder (GET /api/admin/storage/space; the folders
// are walked in the background, at most every 10 minutes, and the last measurement is served at
// once). The page itself is public and holds no data: everything on it comes from these and the
// other JSON routes, with the admin's session cookie.
#include "app/app_context.h"
#include "backup/backup_files.h"
#include "common/cron.h"
#include "config/redis_config.h"
#include "config/system_config.h"
#include "db/database_clients.h"
#include "db/pool.h"
#include "files/files_service.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "http/web_page.h"
#include "pitr/pitr.h"
#include "storage/disk_space.h"
#include "storage/folder_usage.h"

namespace keepsake::http {
namespace {

using nlohmann::json;
constexpr int kNextRuns = 3;

json next_runs(const std::string& cron_expression) {
  auto cron = CronExpression::parse(cron_expression);
  json out = json::array();
  auto at = std::chrono::system_clock::now();
  for (int i = 0; i < kNextRuns; ++i) {
    at = cron.next_after(at);
    out.push_back(pitr::format_iso8601(
        std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count()));
  }
  return out;
}

json schedule_json(const json& system_config) {
  auto s = config::database_backup_settings(system_config);
  json out = {{"enabled", s.enabled},
              {"cronExpression", s.cron_expression},
              {"keepLastAmount", s.keep_last_amount},
              {"timezone", backup::server_timezone()}};
  try {
    out["nextRuns"] = next_runs(s.cron_expression);
  } catch (const Error& e) {
    out["nextRuns"] = json::array();
    out["problem"] = e.what();
  }
  return out;
}

void save_schedule(RequestContext& ctx, db::Connection& conn) {
  auto body = read_backup_schedule_body(ctx.json_body());
  CronExpression::parse(body.cron_expression);  // names the bad field
  json full = config::load_system_config(conn);
  full["backup"]["database"]["enabled"] = body.enabled;
  full["backup"]["database"]["cronExpression"] = body.cron_expression;
  full["backup"]["database"]["keepLastAmount"] = body.keep_last_amount;
  send_json(ctx.response(), schedule_json(config::save_system_config(conn, full)));
}

json instances_json(db::Connection& conn, const std::string& database) {
  json clients = json::array();
  for (const auto& c : db::list_other_clients(conn, database)) {
    clients.push_back({{"kind", db::client_kind_name(c.kind)},
                       {"applicationName", c.application_name},
                       {"user", c.user},
                       {"address", c.address},
                       {"since", c.since},
                       {"state", c.state},
                       {"pid", c.pid}});
  }
  return {{"clients", clients}, {"restartChannel", {{"configured", restart_channel_configured()}}}};
}

json folders_json(const storage::FolderUsageCache::Snapshot& usage) {
  json out = {{"measuring", usage.measuring}, {"folders", json::array()}, {"measuredAt", nullptr}};
  if (!usage.report) return out;
  out["measuredAt"] = usage.report->measured_at;
  out["seconds"] = usage.report->seconds;
  for (const auto& f : usage.report->folders) {
    out["folders"].push_back(
        {{"name", f.name}, {"path", f.path}, {"exists", f.exists}, {"bytes", f.bytes}, {"files", f.files}});
  }
  return out;
}

json disk_json(const storage::DiskSpace& d) {
  json disk = {{"label", d.label}, {"path", d.path}, {"available", d.available}};
  if (d.available) disk.update({{"totalBytes", d.total}, {"freeBytes", d.free}});
  else disk["reason"] = d.reason;
  return disk;
}

// The disks of the backup repositories that are set up: the files backup's restic repository (a
// remote one is named, not measured) and a point-in-time archive outside Keepsake's data folder.
void add_backup_repositories(json& disks, const Config& config) {
  constexpr const char* kRestic = "Files backup (restic repository)";
  auto settings = files::files_settings_of(config);
  if (files::repository_configured(settings)) {
    auto repository = files::configured_repository(settings);
    auto local = files::local_repository_path(repository);
    disks.push_back(local ? disk_json(storage::measure_disk(kRestic, *local))
                          : json{{"label", kRestic}, {"path", files::shown_repository(repository)},
                                 {"available", false}, {"remote", true}, {"reason", "remote, not measured"}});
  }
  auto archive = pitr::archive_dir_for(config);
  if (pitr::is_enabled(archive) && !archive.starts_with(config.data_dir + "/")) {
    disks.push_back(disk_json(storage::measure_disk("Point-in-time archive", archive)));
  }
}

json space_json(const Config& config, storage::FolderUsageCache& usage) {
  json disks = json::array();
  for (const auto& d : storage::disk_space(config)) disks.push_back(disk_json(d));
  add_backup_repositories(disks, config);
  return {{"disks", disks}, {"mediaFolders", folders_json(usage.get(config.media_location))}};
}

db::PooledConnection connection(const RouteDeps& deps) {
  if (!deps.pool) throw Error(ErrorKind::kUnavailable, "Database is not available");
  return deps.pool->acquire();
}

}  // namespace

KEEPSAKE_ROUTES(console, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/admin", {Access::kPublic}, [](RequestContext& ctx) { send_web_page(ctx, console_page_html()); });
  routes.get("/api/admin/backup-schedule", {Access::kAdmin, "systemConfig.read"}, [&deps](RequestContext& ctx) {
    auto conn = connection(deps);
    send_json(ctx.response(), schedule_json(config::load_system_config(*conn)));
  });
  routes.put("/api/admin/backup-schedule", {Access::kAdmin, "systemConfig.update"}, [&deps](RequestContext& ctx) {
    auto conn = connection(deps);
    save_schedule(ctx, *conn);
  });
  routes.get("/api/admin/backup-schedule/next-runs", {Access::kAdmin, "systemConfig.read"},
             [](RequestContext& ctx) {
               auto cron = ctx.query("cronExpression");
               if (!cron) throw Error(ErrorKind::kInvalidArgument, "cronExpression is required");
               send_json(ctx.response(), {{"nextRuns", next_runs(*cron)}});
             });
  routes.get("/api/admin/instances", {Access::kAdmin, "server.about"}, [&deps](RequestContext& ctx) {
    auto conn = connection(deps);
    send_json(ctx.response(), instances_json(*conn, conn->exec("SELECT current_database()").text(0, 0)));
  });
  auto usage = std::make_shared<storage::FolderUsageCache>();  // lives as long as the routes
  routes.get("/api/admin/storage/space", {Access::kAdmin, "server.storage"}, [&deps, usage](RequestContext& ctx) {
    if (!deps.app) throw Error(ErrorKind::kUnavailable, "The storage configuration is not available");
    send_json(ctx.response(), space_json(deps.app->config(), *usage));
  });
});

}  // namespace keepsake::http
