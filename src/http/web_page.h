// The maintenance web page (web/maintenance.html), embedded in the binary at build time.
#pragma once

#include <string>

namespace keepsake::http {

const std::string& maintenance_page_html();

}  // namespace keepsake::http
