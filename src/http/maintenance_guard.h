// The maintenance token check of the maintenance route set (spec §6.4): the JWT in the cookie
// immich_maintenance_token must verify against the current secret. 401 "Missing JWT Token"
// without one, 401 "Invalid JWT Token" for a bad or expired one. Never logs the token.
#pragma once

#include <optional>
#include <string>

#include "http/route_registry.h"
#include "http/route_table.h"

namespace keepsake::http {

// The username of a valid maintenance token in the request's cookie, or nullopt.
std::optional<std::string> maintenance_user(const RequestContext& ctx, const RouteDeps& deps);
// Wraps a handler so it only runs for a valid maintenance token.
Handler with_maintenance_token(const RouteDeps& deps, Handler handler);
// Sets the maintenance cookie (path /, SameSite Lax, HttpOnly, Secure over HTTPS, one day).
void set_maintenance_cookie(RequestContext& ctx, const std::string& token);

}  // namespace keepsake::http
