// Immich's /api/api-keys routes: create (the secret is returned once), list, read, rename or
// re-permission, delete. Every key operation is scoped to the calling user.
#include "auth/api_key_repository.h"
#include "auth/auth_service.h"
#include "db/pool.h"
#include "http/json_input.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "http/user_json.h"

namespace keepsake::http {
namespace {

db::PooledConnection connection(const RouteDeps& deps) {
  if (!deps.pool) throw Error(ErrorKind::kUnavailable, "Database is not available");
  return deps.pool->acquire();
}

void create_key(RequestContext& ctx, const RouteDeps& deps) {
  if (!deps.auth) throw Error(ErrorKind::kUnavailable, "Authentication is not available");
  auto body = read_api_key_create_body(ctx.json_body());
  auto created = deps.auth->create_api_key(ctx.user(), body.name.value_or(""), *body.permissions);
  send_json(ctx.response(), {{"secret", created.secret}, {"apiKey", api_key_json(created.key)}},
            201);
}

void list_keys(RequestContext& ctx, const RouteDeps& deps) {
  auto conn = connection(deps);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : auth::ApiKeyRepository(*conn).list(ctx.user().id)) {
    out.push_back(api_key_json(k));
  }
  send_json(ctx.response(), out);
}

void get_key(RequestContext& ctx, const RouteDeps& deps) {
  const std::string& id = ctx.path_param("id");
  require_uuid(id, "id");
  auto conn = connection(deps);
  auto key = auth::ApiKeyRepository(*conn).get(ctx.user().id, id);
  if (!key) throw Error(ErrorKind::kInvalidArgument, "API Key not found");
  send_json(ctx.response(), api_key_json(*key));
}

void update_key(RequestContext& ctx, const RouteDeps& deps) {
  const std::string& id = ctx.path_param("id");
  require_uuid(id, "id");
  auto body = read_api_key_update_body(ctx.json_body());
  auto conn = connection(deps);
  auth::ApiKeyRepository keys(*conn);
  auto existing = keys.get(ctx.user().id, id);
  if (!existing) throw Error(ErrorKind::kInvalidArgument, "API Key not found");
  std::string name = body.name.value_or(existing->name);
  auto permissions = body.permissions.value_or(existing->permissions);
  auth::validate_permissions(permissions);
  for (const auto& p : permissions) {
    if (ctx.user().by_api_key() && !ctx.user().has_permission(p)) {
      throw Error(ErrorKind::kInvalidArgument, "Cannot grant permissions you do not have");
    }
  }
  auto updated = keys.update(ctx.user().id, id, name, permissions);
  if (!updated) throw Error(ErrorKind::kInvalidArgument, "API Key not found");
  send_json(ctx.response(), api_key_json(*updated));
}

void delete_key(RequestContext& ctx, const RouteDeps& deps) {
  const std::string& id = ctx.path_param("id");
  require_uuid(id, "id");
  auto conn = connection(deps);
  if (!auth::ApiKeyRepository(*conn).remove(ctx.user().id, id)) {
    throw Error(ErrorKind::kInvalidArgument, "API Key not found");
  }
  send_no_content(ctx.response());
}

}  // namespace

KEEPSAKE_ROUTES(api_keys, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.post("/api/api-keys", {Access::kAuthenticated, "apiKey.create"},
              [&deps](RequestContext& ctx) { create_key(ctx, deps); });
  routes.get("/api/api-keys", {Access::kAuthenticated, "apiKey.read"},
             [&deps](RequestContext& ctx) { list_keys(ctx, deps); });
  routes.get("/api/api-keys/:id", {Access::kAuthenticated, "apiKey.read"},
             [&deps](RequestContext& ctx) { get_key(ctx, deps); });
  routes.put("/api/api-keys/:id", {Access::kAuthenticated, "apiKey.update"},
             [&deps](RequestContext& ctx) { update_key(ctx, deps); });
  routes.del("/api/api-keys/:id", {Access::kAuthenticated, "apiKey.delete"},
             [&deps](RequestContext& ctx) { delete_key(ctx, deps); });
});

}  // namespace keepsake::http
