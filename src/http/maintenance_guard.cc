#include "http/maintenance_guard.h"

#include "http/responses.h"
#include "maintenance/maintenance_service.h"
#include "maintenance/maintenance_token.h"

namespace keepsake::http {

std::optional<std::string> maintenance_user(const RequestContext& ctx, const RouteDeps& deps) {
  std::string token = cookie_value(ctx.request(), maintenance::kMaintenanceCookie);
  if (token.empty() || !deps.maintenance) return std::nullopt;
  return deps.maintenance->verify(token);
}

Handler with_maintenance_token(const RouteDeps& deps, Handler handler) {
  return [&deps, handler = std::move(handler)](RequestContext& ctx) {
    if (cookie_value(ctx.request(), maintenance::kMaintenanceCookie).empty()) {
      throw Error(ErrorKind::kUnauthorized, "Missing JWT Token");
    }
    if (!maintenance_user(ctx, deps)) throw Error(ErrorKind::kUnauthorized, "Invalid JWT Token");
    handler(ctx);
  };
}

void set_maintenance_cookie(RequestContext& ctx, const std::string& token) {
  CookieOptions o;
  o.secure = request_is_secure(ctx);
  o.max_age_seconds = maintenance::kMaintenanceCookieMaxAge;
  set_cookie(ctx.response(), maintenance::kMaintenanceCookie, token, o);
}

}  // namespace keepsake::http
