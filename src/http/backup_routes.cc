// Immich's database-backup routes (spec §5.4): list, download (streamed, Range), delete, and a
// streamed multipart upload with a size limit that is checked (a real gzip stream with a complete
// dump inside, or a complete plain SQL dump) before it is kept as uploaded-<name>.
// Every name is validated before it touches the filesystem; symlinks are never followed.
#include <filesystem>
#include <fstream>

#include "app/app_context.h"
#include "backup/backup_files.h"
#include "http/backup_upload.h"
#include "http/maintenance_guard.h"
#include "http/request_bodies.h"
#include "http/routes.h"

namespace keepsake::http {
namespace {

namespace fs = std::filesystem;

// KEEPSAKE_UPLOAD_LIMIT_MB (64 GiB unless configured; also when no app context is given).
uint64_t upload_limit(const RouteDeps& deps) {
  return (deps.app ? deps.app->config().upload_limit_mb : Config{}.upload_limit_mb) << 20;
}

std::string folder(const RouteDeps& deps) {
  if (!deps.app) throw Error(ErrorKind::kInternal, "backup routes need the app context");
  return backup::backups_folder(deps.app->config().media_location);
}

void check_param(const std::string& name) {
  if (!backup::is_valid_filename_param(name)) {
    throw Error(ErrorKind::kInvalidArgument, "Filename contains invalid characters");
  }
}

void list(RequestContext& ctx, const RouteDeps& deps) {
  nlohmann::json backups = nlohmann::json::array();
  std::string tz = backup::server_timezone();
  for (auto& f : backup::list_backups(folder(deps))) {
    backups.push_back({{"filename", f.filename}, {"filesize", f.filesize}, {"timezone", tz}});
  }
  send_json(ctx.response(), {{"backups", backups}});
}

void download(RequestContext& ctx, const RouteDeps& deps) {
  std::string name = ctx.path_param("filename");
  check_param(name);
  std::string path = backup::resolve_backup_path(folder(deps), name);
  bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
  send_file(ctx, path, {.content_type = gz ? "application/gzip" : "application/sql",
                        .download_name = name,
                        .cache_control = "private, no-cache, no-transform"});
}

void remove(RequestContext& ctx, const RouteDeps& deps) {
  backup::delete_backups(folder(deps), read_backup_delete_body(ctx.json_body()));
  send_no_content(ctx.response());
}

// The same four routes in both route sets: an admin with the permission in normal mode, the
// maintenance token in maintenance mode.
void add_backup_routes(RouteTable& routes, const RouteDeps& deps,
                       const std::function<RouteOptions(const char* permission)>& access,
                       const std::function<Handler(Handler)>& guard) {
  routes.get("/api/admin/database-backups", access("maintenance"),
             guard([&deps](RequestContext& ctx) { list(ctx, deps); }));
  routes.get("/api/admin/database-backups/:filename", access("backup.download"),
             guard([&deps](RequestContext& ctx) { download(ctx, deps); }));
  routes.del("/api/admin/database-backups", access("backup.delete"),
             guard([&deps](RequestContext& ctx) { remove(ctx, deps); }));
  RouteOptions upload_options = access("backup.upload");
  upload_options.body = BodyMode::kStreamed;
  upload_options.max_body_bytes = upload_limit(deps);
  routes.post("/api/admin/database-backups/upload", upload_options,
              guard([&deps, limit = upload_options.max_body_bytes](RequestContext& ctx) {
                receive_backup_upload(ctx, folder(deps), limit);
              }));
}

}  // namespace

KEEPSAKE_ROUTES(database_backups, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  add_backup_routes(
      routes, deps, [](const char* permission) { return RouteOptions{Access::kAdmin, permission}; },
      [](Handler h) { return h; });
});

KEEPSAKE_ROUTES(database_backups_maintenance, kMaintenanceRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  add_backup_routes(
      routes, deps, [](const char*) { return RouteOptions{Access::kPublic}; },
      [&deps](Handler h) { return with_maintenance_token(deps, std::move(h)); });
});

}  // namespace keepsake::http
