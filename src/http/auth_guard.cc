#include "http/auth_guard.h"

#include "common/error.h"
#include "http/responses.h"

namespace keepsake::http {
namespace {

std::string bearer_token(const httplib::Request& req) {
  std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size()) return {};
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return {};
    }
  }
  return header.substr(kPrefix.size());
}

}  // namespace

auth::Credentials extract_credentials(const httplib::Request& req) {
  auth::Credentials c;
  c.api_key = req.get_header_value(kApiKeyHeader);
  c.session_token = bearer_token(req);
  if (c.session_token.empty()) c.session_token = cookie_value(req, kAccessTokenCookie);
  return c;
}

std::optional<auth::AuthUser> authorize(const httplib::Request& req, const RouteOptions& options,
                                        const Authenticator& authenticator) {
  auth::Credentials credentials = extract_credentials(req);
  if (options.access == Access::kPublic) {
    if (credentials.empty() || !authenticator) return std::nullopt;
    try {
      return authenticator(credentials);
    } catch (const Error&) {
      return std::nullopt;  // a public route ignores bad credentials, as Immich does
    }
  }
  if (credentials.empty() || !authenticator) {
    throw Error(ErrorKind::kUnauthorized, "Authentication required");
  }
  auth::AuthUser user = authenticator(credentials);
  if (options.access == Access::kAdmin && !user.is_admin) {
    throw Error(ErrorKind::kForbidden, "Forbidden");
  }
  if (!options.permission.empty() && !user.has_permission(options.permission)) {
    throw Error(ErrorKind::kForbidden, "Missing required permission: " + options.permission);
  }
  return user;
}

}  // namespace keepsake::http
