// Immich's /api/auth routes (admin-sign-up, login, logout, validateToken) and GET /api/users/me,
// with Immich's JSON shapes and cookies. The token is sent to the client once, never logged.
#include "auth/auth_service.h"
#include "auth/user_repository.h"
#include "db/pool.h"
#include "http/auth_guard.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "http/user_json.h"

namespace keepsake::http {
namespace {

constexpr long kCookieMaxAgeSeconds = 400L * 24 * 3600;  // Immich: 400 days

auth::AuthService& auth_service(const RouteDeps& deps) {
  if (!deps.auth) throw Error(ErrorKind::kUnavailable, "Authentication is not available");
  return *deps.auth;
}

void set_login_cookies(RequestContext& ctx, const std::string& token) {
  CookieOptions options{.secure = request_is_secure(ctx), .max_age_seconds = kCookieMaxAgeSeconds};
  set_cookie(ctx.response(), kAccessTokenCookie, token, options);
  set_cookie(ctx.response(), kAuthTypeCookie, "password", options);
  options.http_only = false;
  set_cookie(ctx.response(), kIsAuthenticatedCookie, "true", options);
}

void clear_login_cookies(RequestContext& ctx) {
  CookieOptions options{.secure = request_is_secure(ctx), .max_age_seconds = 0};
  for (const char* name : {kAccessTokenCookie, kAuthTypeCookie, kIsAuthenticatedCookie}) {
    options.http_only = std::string(name) != kIsAuthenticatedCookie;
    set_cookie(ctx.response(), name, "", options);
  }
}

void login(RequestContext& ctx, const RouteDeps& deps) {
  auto body = read_login_body(ctx.json_body());
  auth::LoginRequest request;
  request.email = body.email;
  auth::validate_email(request.email);
  request.password = body.password;
  request.client_address = ctx.client_address();
  request.device_type = ctx.header("User-Agent").substr(0, 200);
  auto outcome = auth_service(deps).login(request);
  using Status = auth::LoginOutcome::Status;
  if (outcome.status == Status::kRateLimited) {
    ctx.response().set_header("Retry-After", std::to_string(outcome.retry_after_seconds));
    send_error(ctx.response(), 429, "Too many failed login attempts, try again later");
    return;
  }
  if (outcome.status != Status::kOk) {
    throw Error(ErrorKind::kUnauthorized, "Incorrect email or password");
  }
  const auth::UserRecord& user = *outcome.user;
  bool onboarded = false;
  if (deps.pool) {
    auto conn = deps.pool->acquire();
    onboarded = auth::UserRepository(*conn).is_onboarded(user.id);
  }
  set_login_cookies(ctx, outcome.token);
  send_json(ctx.response(),
            {{"accessToken", outcome.token},
             {"userId", user.id},
             {"userEmail", user.email},
             {"name", user.name},
             {"isAdmin", user.is_admin},
             {"profileImagePath", user.profile_image_path},
             {"shouldChangePassword", user.should_change_password},
             {"isOnboarded", onboarded}},
            201);
}

void admin_sign_up(RequestContext& ctx, const RouteDeps& deps) {
  auto body = read_sign_up_body(ctx.json_body());
  auto user = auth_service(deps).admin_sign_up(body.email, body.password, body.name);
  send_json(ctx.response(), user_admin_json(user), 201);
}

void users_me(RequestContext& ctx, const RouteDeps& deps) {
  if (!deps.pool) throw Error(ErrorKind::kUnavailable, "Database is not available");
  auto conn = deps.pool->acquire();
  auto user = auth::UserRepository(*conn).find_by_id(ctx.user().id);
  if (!user) throw Error(ErrorKind::kNotFound, "User not found");
  send_json(ctx.response(), user_admin_json(*user));
}

}  // namespace

KEEPSAKE_ROUTES(auth, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.post("/api/auth/admin-sign-up", {Access::kPublic},
              [&deps](RequestContext& ctx) { admin_sign_up(ctx, deps); });
  routes.post("/api/auth/login", {Access::kPublic},
              [&deps](RequestContext& ctx) { login(ctx, deps); });
  routes.post("/api/auth/logout", {Access::kAuthenticated}, [&deps](RequestContext& ctx) {
    auth_service(deps).logout(ctx.user().session_id);
    clear_login_cookies(ctx);
    send_json(ctx.response(), {{"successful", true}, {"redirectUri", "/auth/login?autoLaunch=0"}});
  });
  routes.post("/api/auth/validateToken", {Access::kAuthenticated}, [](RequestContext& ctx) {
    send_json(ctx.response(), {{"authStatus", true}});
  });
  routes.get("/api/users/me", {Access::kAuthenticated, "user.read"},
             [&deps](RequestContext& ctx) { users_me(ctx, deps); });
});

}  // namespace keepsake::http
