#include "http/route_table.h"

#include "common/error.h"

namespace keepsake::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string>& params) {
  auto want = split_path(pattern);
  auto have = split_path(path);
  std::map<std::string, std::string> found;
  if (!want.empty() && want.back() == "*") {
    want.pop_back();
    if (have.size() < want.size()) return false;
    std::string rest;
    for (size_t i = want.size(); i < have.size(); ++i) rest += (i > want.size() ? "/" : "") + std::string(have[i]);
    have.resize(want.size());
    found["*"] = rest;
  }
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!want[i].empty() && want[i].front() == ':') {
      if (have[i].empty()) return false;
      found.emplace(std::string(want[i].substr(1)), std::string(have[i]));
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

RouteTable& RouteTable::add(std::string method, std::string pattern, RouteOptions options,
                            Handler handler) {
  for (const auto& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      throw Error(ErrorKind::kInternal, "route registered twice: " + method + " " + pattern);
    }
  }
  routes_.push_back({std::move(method), std::move(pattern), std::move(options),
                     std::move(handler)});
  return *this;
}

RouteTable& RouteTable::get(std::string p, RouteOptions o, Handler h) {
  return add("GET", std::move(p), std::move(o), std::move(h));
}
RouteTable& RouteTable::post(std::string p, RouteOptions o, Handler h) {
  return add("POST", std::move(p), std::move(o), std::move(h));
}
RouteTable& RouteTable::put(std::string p, RouteOptions o, Handler h) {
  return add("PUT", std::move(p), std::move(o), std::move(h));
}
RouteTable& RouteTable::patch(std::string p, RouteOptions o, Handler h) {
  return add("PATCH", std::move(p), std::move(o), std::move(h));
}
RouteTable& RouteTable::del(std::string p, RouteOptions o, Handler h) {
  return add("DELETE", std::move(p), std::move(o), std::move(h));
}

std::optional<RouteMatch> RouteTable::match(std::string_view method,
                                            std::string_view path) const {
  std::string_view wanted = method == "HEAD" ? "GET" : method;
  // Literal segments win over parameters, and both over a trailing "*".
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& r : routes_) {
      bool is_wildcard = r.pattern.size() >= 2 && r.pattern.compare(r.pattern.size() - 2, 2, "/*") == 0;
      bool has_params = r.pattern.find(':') != std::string::npos;
      int kind = is_wildcard ? 2 : has_params ? 1 : 0;
      if (r.method != wanted || kind != pass) continue;
      RouteMatch m;
      if (match_pattern(r.pattern, path, m.params)) {
        m.route = &r;
        return m;
      }
    }
  }
  return std::nullopt;
}

bool RouteTable::has_path(std::string_view path) const {
  std::map<std::string, std::string> ignored;
  for (const auto& r : routes_) {
    if (match_pattern(r.pattern, path, ignored)) return true;
  }
  return false;
}

}  // namespace keepsake::http
