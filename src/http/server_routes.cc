// Routes under /api/server: ping, version, config, and Keepsake's health check. ping, version and
// health exist in both route sets; config answers maintenanceMode according to the set.
#include <spdlog/spdlog.h>

#include "auth/user_repository.h"
#include "db/pool.h"
#include "http/routes.h"

namespace keepsake::http {
namespace {

const RouteOptions kPublicRoute{Access::kPublic};

// Immich's version, which Keepsake's API follows; Keepsake's own version rides along.
nlohmann::json version_body() {
  return {{"major", 2}, {"minor", 7}, {"patch", 5}, {"keepsake", KEEPSAKE_VERSION}};
}

bool database_answers(const RouteDeps& deps) {
  if (!deps.pool) return false;
  try {
    auto conn = deps.pool->acquire(std::chrono::seconds(5));
    return conn->exec("SELECT 1", {}, "health check").int64(0, 0) == 1;
  } catch (const Error& e) {
    spdlog::warn("health check: {}", e.what());
    return false;
  }
}

bool admin_exists(const RouteDeps& deps) {
  if (!deps.pool) return false;
  auto conn = deps.pool->acquire();
  return auth::UserRepository(*conn).admin_exists();
}

nlohmann::json normal_config(const RouteDeps& deps) {
  return {{"loginPageMessage", ""},
          {"trashDays", 30},
          {"userDeleteDelay", 7},
          {"oauthButtonText", "Login with OAuth"},
          {"isInitialized", admin_exists(deps)},
          {"isOnboarded", false},
          {"externalDomain", ""},
          {"publicUsers", true},
          {"mapDarkStyleUrl", "https://tiles.immich.cloud/v1/style/dark.json"},
          {"mapLightStyleUrl", "https://tiles.immich.cloud/v1/style/light.json"},
          {"maintenanceMode", false}};
}

void add_common_routes(RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/server/ping", kPublicRoute,
             [](RequestContext& ctx) { send_json(ctx.response(), {{"res", "pong"}}); });
  routes.get("/api/server/version", kPublicRoute,
             [](RequestContext& ctx) { send_json(ctx.response(), version_body()); });
  routes.get("/api/server/health", kPublicRoute, [&deps](RequestContext& ctx) {
    bool db_ok = database_answers(deps);
    send_json(ctx.response(), {{"status", db_ok ? "ok" : "error"}, {"database", db_ok}},
              db_ok ? 200 : 503);
  });
}

}  // namespace

KEEPSAKE_ROUTES(server_normal, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  add_common_routes(routes, deps);
  routes.get("/api/server/config", kPublicRoute, [&deps](RequestContext& ctx) {
    send_json(ctx.response(), normal_config(deps));
  });
});

KEEPSAKE_ROUTES(server_maintenance, kMaintenanceRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  add_common_routes(routes, deps);
  routes.get("/api/server/config", kPublicRoute, [](RequestContext& ctx) {
    send_json(ctx.response(), {{"maintenanceMode", true}});
  });
});

}  // namespace keepsake::http
