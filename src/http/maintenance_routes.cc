// Immich's maintenance routes (spec §5.4 start-restore, §6.3, §6.5) in both route sets (with
// Keepsake's point-in-time restore_database: restoreToTime / restoreToRestorePoint /
// restoreToLatest, refused with 409 naming the recoverable window when the archive cannot reach it), and the
// maintenance web page at /maintenance. In normal mode the status is always inactive, login is
// refused and an admin enters maintenance; in maintenance mode the status is public (or private
// with a valid token), login checks the token, and every other GET outside /api is redirected to
// the page.
#include <cstring>

#include "auth/user_repository.h"
#include "backup/backup_files.h"
#include "app/app_context.h"
#include "db/pool.h"
#include "http/maintenance_guard.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "http/web_page.h"
#include "maintenance/maintenance_service.h"
#include "maintenance/maintenance_token.h"
#include "pitr/pitr.h"
#include "storage/layout.h"
#include "storage/mount_checks.h"

namespace keepsake::http {
namespace {

using maintenance::MaintenanceAction;

maintenance::MaintenanceService& service(const RouteDeps& deps) {
  if (!deps.maintenance) throw Error(ErrorKind::kUnavailable, "Maintenance mode is not available");
  return *deps.maintenance;
}

struct ActionRequest {
  MaintenanceAction action;
  maintenance::RestoreSource source;
};

// SetMaintenanceModeDto as class-validator checks it: 400 with the list of messages.
std::optional<ActionRequest> parse_action_request(RequestContext& ctx, const RouteDeps& deps) {
  auto body = read_maintenance_action_body(ctx.json_body());
  if (!body.problems.empty()) {
    send_error(ctx.response(), 400, body.problems);
    return std::nullopt;
  }
  // Before anything changes: the file must be there, or the archive must reach the target.
  if (!body.filename.empty()) {
    backup::resolve_backup_path(backup::backups_folder(deps.app->config().media_location), body.filename);
  }
  if (body.target) {
    pitr::check_reachable(pitr::read_status(deps.app->database(), pitr::archive_dir_for(deps.app->config())),
                          *body.target);
  }
  return ActionRequest{body.action, {body.filename, body.target}};
}

nlohmann::json detect_install(const RouteDeps& deps) {
  nlohmann::json storage = nlohmann::json::array();
  for (auto& f : storage::detect_prior_install(storage::StorageLayout(deps.app->config().media_location))) {
    storage.push_back({{"folder", storage::folder_name(f.folder)},
                       {"readable", f.readable},
                       {"writable", f.writable},
                       {"files", f.files}});
  }
  return {{"storage", storage}};
}

void send_page(RequestContext& ctx) { send_web_page(ctx, maintenance_page_html()); }

// JavaScript's encodeURIComponent, as Immich builds the continue parameter.
std::string encode_uri_component(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || std::strchr("-_.!~*'()", c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void send_created(RequestContext& ctx) {
  ctx.response().status = 201;
  ctx.response().body.clear();
}

}  // namespace

KEEPSAKE_ROUTES(maintenance_normal, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/admin/maintenance/status", {Access::kPublic}, [](RequestContext& ctx) {
    send_json(ctx.response(), {{"active", false}, {"action", "end"}});
  });
  routes.get("/api/admin/maintenance/detect-install", {Access::kAdmin, "maintenance"},
             [&deps](RequestContext& ctx) { send_json(ctx.response(), detect_install(deps)); });
  routes.post("/api/admin/maintenance/login", {Access::kPublic}, [](RequestContext& ctx) {
    send_error(ctx.response(), 400, "Not in maintenance mode");
  });
  routes.post("/api/admin/maintenance", {Access::kAdmin, "maintenance"}, [&deps](RequestContext& ctx) {
    auto request = parse_action_request(ctx, deps);
    if (!request) return;
    if (request->action != MaintenanceAction::kEnd) {
      set_maintenance_cookie(ctx, service(deps).enter(request->action, request->source, ctx.user().name));
    }
    send_created(ctx);
  });
  routes.post("/api/admin/database-backups/start-restore", {Access::kPublic}, [&deps](RequestContext& ctx) {
    {
      auto conn = deps.pool->acquire();
      if (auth::UserRepository(*conn).admin_exists()) {
        throw Error(ErrorKind::kInvalidArgument, "The server already has an admin");
      }
    }
    set_maintenance_cookie(ctx, service(deps).enter(MaintenanceAction::kSelectDatabaseRestore, {}, "admin"));
    send_created(ctx);
  });
  routes.get("/maintenance", {Access::kPublic}, [](RequestContext& ctx) { send_page(ctx); });
});

KEEPSAKE_ROUTES(maintenance_mode, kMaintenanceRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/admin/maintenance/status", {Access::kPublic}, [&deps](RequestContext& ctx) {
    bool full = maintenance_user(ctx, deps).has_value();
    send_json(ctx.response(), service(deps).status().to_json(full));
  });
  routes.get("/api/admin/maintenance/detect-install", {Access::kPublic},
             [&deps](RequestContext& ctx) { send_json(ctx.response(), detect_install(deps)); });
  routes.post("/api/admin/maintenance/login", {Access::kPublic}, [&deps](RequestContext& ctx) {
    std::string token = read_maintenance_login_body(ctx.json_body())
                            .value_or(cookie_value(ctx.request(), maintenance::kMaintenanceCookie));
    if (token.empty()) throw Error(ErrorKind::kUnauthorized, "Missing JWT Token");
    auto user = service(deps).verify(token);
    if (!user) throw Error(ErrorKind::kUnauthorized, "Invalid JWT Token");
    set_maintenance_cookie(ctx, token);
    send_json(ctx.response(), {{"username", *user}}, 201);
  });
  routes.post("/api/admin/maintenance", {Access::kPublic},
              with_maintenance_token(deps, [&deps](RequestContext& ctx) {
                auto request = parse_action_request(ctx, deps);
                if (!request) return;
                service(deps).request(request->action, request->source);
                send_created(ctx);
              }));
  routes.get("/maintenance", {Access::kPublic}, [](RequestContext& ctx) { send_page(ctx); });
  routes.get("/maintenance/*", {Access::kPublic}, [](RequestContext& ctx) { send_page(ctx); });
  // Every other page of the web app leads to the maintenance page.
  routes.get("/*", {Access::kPublic}, [](RequestContext& ctx) {
    const std::string& path = ctx.request().path;
    if (path == "/api" || path.rfind("/api/", 0) == 0 || path == "/.well-known/immich" || path == "/custom.css" ||
        path == "/favicon.ico") {
      send_error(ctx.response(), 404, "Cannot GET " + path);
      return;
    }
    ctx.response().status = 302;
    ctx.response().set_header("Location", "/maintenance?continue=" + encode_uri_component(path));
  });
});

}  // namespace keepsake::http
