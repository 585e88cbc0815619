// The authorization layer every route goes through: reads the credentials a request presents
// (Authorization: Bearer <token>, cookie immich_access_token, header x-api-key), resolves them to
// a user through an Authenticator, and checks the route's Access and named permission with
// Immich's errors (401 "Authentication required" / invalid credentials; 403 "Forbidden" /
// "Missing required permission: <name>"). Never logs or echoes a credential.
#pragma once

#include <httplib.h>

#include <functional>
#include <optional>

#include "auth/auth_user.h"
#include "http/route_table.h"

namespace keepsake::http {

inline constexpr const char* kAccessTokenCookie = "immich_access_token";
inline constexpr const char* kAuthTypeCookie = "immich_auth_type";
inline constexpr const char* kIsAuthenticatedCookie = "immich_is_authenticated";
inline constexpr const char* kApiKeyHeader = "x-api-key";

// Resolves credentials to a user; throws Error(kUnauthorized) when they are invalid or expired.
using Authenticator = std::function<auth::AuthUser(const auth::Credentials&)>;

auth::Credentials extract_credentials(const httplib::Request& req);

// The user for a route, or nullopt on a public route without (valid) credentials.
// Throws kUnauthorized / kForbidden as Immich does.
std::optional<auth::AuthUser> authorize(const httplib::Request& req, const RouteOptions& options,
                                        const Authenticator& authenticator);

}  // namespace keepsake::http
