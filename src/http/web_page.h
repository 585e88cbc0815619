// The files of web/ (the maintenance page, the admin console, their shared script), embedded in
// the binary at build time by cmake/embed_web_page.cmake, and how they are sent: no caching, no
// sniffing, no framing, nothing loaded from another origin. The pages put server values in as
// text only.
#pragma once

#include <string>

#include "http/request_context.h"

namespace keepsake::http {

const std::string& maintenance_page_html();  // web/maintenance.html, at /maintenance
const std::string& console_page_html();      // web/console.html, at /admin
const std::string& common_script_js();       // web/common.js, at /web/common.js (both route sets)

void send_web_page(RequestContext& ctx, const std::string& html,
                   const std::string& content_type = "text/html; charset=utf-8");

}  // namespace keepsake::http
