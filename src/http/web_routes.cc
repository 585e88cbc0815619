#include "http/web_page.h"

#include "http/routes.h"

namespace keepsake::http {

void send_web_page(RequestContext& ctx, const std::string& html, const std::string& content_type) {
  auto& res = ctx.response();
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
                 "frame-ancestors 'none'");
  res.set_content(html, content_type);
}

namespace {

void send_common_script(RequestContext& ctx) {
  send_web_page(ctx, common_script_js(), "text/javascript; charset=utf-8");
}

}  // namespace

// The pages' shared script, in both route sets (the maintenance page needs it in either mode).
KEEPSAKE_ROUTES(web_script_normal, kNormalRoutes, [](RouteTable& routes, const RouteDeps&) {
  routes.get("/web/common.js", {Access::kPublic}, send_common_script);
});
KEEPSAKE_ROUTES(web_script_maintenance, kMaintenanceRoutes, [](RouteTable& routes, const RouteDeps&) {
  routes.get("/web/common.js", {Access::kPublic}, send_common_script);
});

}  // namespace keepsake::http
