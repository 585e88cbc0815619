// The one header a route file includes. How to add routes (src/http/<module>_routes.cc):
//
//   #include "http/routes.h"
//   namespace keepsake::http {
//   KEEPSAKE_ROUTES(backups, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
//     // JSON in, JSON out; admin + a named permission (403 "Missing required permission: ...").
//     routes.del("/api/admin/database-backups", {Access::kAdmin, "backup.delete"},
//                [&deps](RequestContext& ctx) {
//                  auto body = ctx.json_body();            // 400 on invalid JSON
//                  ...;                                    // throw keepsake::Error on failure
//                  send_no_content(ctx.response());
//                });
//     // A streamed download with Range support (never read whole into memory).
//     routes.get("/api/admin/database-backups/:filename", {Access::kAdmin, "backup.download"},
//                [](RequestContext& ctx) {
//                  send_file(ctx, dir + "/" + ctx.path_param("filename"),
//                            {.content_type = "application/gzip"});
//                });
//     // A streamed multipart upload, written to disk as it arrives.
//     routes.post("/api/admin/database-backups/upload",
//                 {Access::kAdmin, "backup.upload", BodyMode::kStreamed},
//                 [](RequestContext& ctx) {
//                   auto file = receive_file(ctx, "file", dir + "/uploaded-tmp");
//                   send_json(ctx.response(), nlohmann::json::object(), 201);
//                 });
//   });
//   }  // namespace keepsake::http
//
// * Access: kPublic, kAuthenticated (401 without valid credentials), kAdmin (403 unless admin).
//   RouteOptions{access, permission, body, max_body_bytes}. ctx.user() is the caller.
// * Errors: throw keepsake::Error; the server answers {"message", "error", "statusCode"} with
//   http_status_for(kind). send_error(res, status, message) for statuses outside ErrorKind.
// * Route sets: kNormalRoutes and kMaintenanceRoutes. deps.switcher->switch_to(set) swaps the
//   running server's whole table (in-flight requests finish on the old one). The http module
//   itself registers GET /api/server/{ping,version,health,config} in BOTH sets (config answers
//   maintenanceMode true/false), so other modules must not register those.
// * Handlers run on the server's worker threads (64+), concurrently: take a connection per request
//   from deps.pool->acquire(), never share one. deps (and what it points to) outlives the routes.
// * Installers run when a route set is built: they only add routes.
#pragma once

#include <nlohmann/json.hpp>

#include "auth/auth_user.h"
#include "common/error.h"
#include "http/request_context.h"
#include "http/responses.h"
#include "http/route_registry.h"
#include "http/route_table.h"
