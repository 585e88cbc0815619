#include "http/web_page.h"

namespace keepsake::http {

void send_web_page(RequestContext& ctx, const std::string& html) {
  auto& res = ctx.response();
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
                 "frame-ancestors 'none'");
  res.set_content(html, "text/html; charset=utf-8");
}

}  // namespace keepsake::http
