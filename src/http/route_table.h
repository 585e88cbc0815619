// A set of routes: method + path pattern ("/api/admin/database-backups/:filename", or a trailing
// "/*" that matches any rest, given as param "*", with the lowest priority) + who may call
// it + how its body is read + the handler. A RouteTable is built once and then only read, so the
// server can swap whole tables at run time. Never decides authentication itself.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_context.h"

namespace keepsake::http {

enum class Access {
  kPublic,         // anyone; the user is still resolved when credentials are presented
  kAuthenticated,  // a valid session token or API key (401 otherwise)
  kAdmin,          // authenticated and user.isAdmin (403 otherwise)
};

enum class BodyMode {
  kBuffered,  // the body is read into memory first (up to max_body_bytes, else 413)
  kStreamed,  // the handler reads it with RequestContext::read_body / read_multipart
};

struct RouteOptions {
  RouteOptions(Access access = Access::kAuthenticated, std::string permission = {},
               BodyMode body = BodyMode::kBuffered, size_t max_body_bytes = 1 << 20)
      : access(access),
        permission(std::move(permission)),
        body(body),
        max_body_bytes(max_body_bytes) {}

  Access access = Access::kAuthenticated;
  std::string permission;  // an Immich permission name ("backup.download"); empty = none
  BodyMode body = BodyMode::kBuffered;
  size_t max_body_bytes = 1 << 20;
};

using Handler = std::function<void(RequestContext&)>;

struct Route {
  std::string method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern;
  RouteOptions options;
  Handler handler;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;  // ":name" segments, URL-decoded by httplib
};

class RouteTable {
 public:
  // Adds a route. Throws kInternal when the same method and pattern is already registered.
  RouteTable& add(std::string method, std::string pattern, RouteOptions options, Handler handler);
  RouteTable& get(std::string pattern, RouteOptions options, Handler handler);
  RouteTable& post(std::string pattern, RouteOptions options, Handler handler);
  RouteTable& put(std::string pattern, RouteOptions options, Handler handler);
  RouteTable& patch(std::string pattern, RouteOptions options, Handler handler);
  RouteTable& del(std::string pattern, RouteOptions options, Handler handler);

  // The route for a method and path; HEAD falls back to GET. nullopt when none matches.
  std::optional<RouteMatch> match(std::string_view method, std::string_view path) const;
  // True when some route has this path under another method (for Immich's 404 text).
  bool has_path(std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }
  size_t size() const { return routes_.size(); }

 private:
  std::vector<Route> routes_;
};

// Matches one pattern against a path; fills params. Exposed for tests.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string>& params);

}  // namespace keepsake::http
