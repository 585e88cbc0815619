// Route sets and the process-wide registry of route installers. A module adds its routes next to
// its code, in src/http/<module>_routes.cc, at namespace scope:
//
//   KEEPSAKE_ROUTES(backups, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
//     routes.get("/api/admin/database-backups", {Access::kAdmin, "maintenance"},
//                [&deps](RequestContext& ctx) { send_json(ctx.response(), ...); });
//   });
//
// The server builds one RouteTable per route set ("normal", "maintenance") from the installers
// registered for it, and can switch the running server between sets (RouteSetSwitcher).
// Installers must only add routes: no database work, no threads.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/route_table.h"

namespace keepsake::app {
class AppContext;
}
namespace keepsake::db {
class Pool;
}
namespace keepsake::auth {
class AuthService;
}
namespace keepsake::maintenance {
class MaintenanceService;
}

namespace keepsake::http {

inline constexpr std::string_view kNormalRoutes = "normal";
inline constexpr std::string_view kMaintenanceRoutes = "maintenance";

// Switches the running server to another route set; requests already running finish on the old
// table, new ones use the new table.
class RouteSetSwitcher {
 public:
  virtual ~RouteSetSwitcher() = default;
  virtual void switch_to(std::string_view route_set) = 0;
  virtual std::string current_route_set() const = 0;
};

// What route handlers may use. Pointers stay valid while the server runs; any may be null in
// tests that do not need them.
struct RouteDeps {
  app::AppContext* app = nullptr;          // Config, embedded database
  db::Pool* pool = nullptr;                // shared connection pool to the database
  RouteSetSwitcher* switcher = nullptr;    // maintenance mode switches route sets with it
  auth::AuthService* auth = nullptr;       // users, sessions, API keys
  maintenance::MaintenanceService* maintenance = nullptr;  // mode, status, token, actions
};

using RouteInstaller = std::function<void(RouteTable&, const RouteDeps&)>;

struct RouteInstallerRegistrar {
  RouteInstallerRegistrar(std::string_view route_set, const char* name, RouteInstaller installer);
};

// Builds the table of a route set from every installer registered for it (in name order).
RouteTable build_route_table(std::string_view route_set, const RouteDeps& deps);

// Names of the installers registered for a route set (for tests and diagnostics).
std::vector<std::string> route_installer_names(std::string_view route_set);

}  // namespace keepsake::http

#define KEEPSAKE_ROUTES(id, route_set, ...)                                             \
  static const ::keepsake::http::RouteInstallerRegistrar keepsake_routes_##id##_registrar( \
      ::keepsake::http::route_set, #id, __VA_ARGS__)
