// DB_URL (src/config/config parse_database_url): any text either parses or throws
// keepsake::Error; neither the error nor the displayed URL ever holds the password.
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "config/config.h"

namespace {

// A secret that also stands elsewhere in the URL (e.g. as the database name) may be shown there.
bool appears_once(const std::string& url, const std::string& secret) {
  size_t first = url.find(secret);
  return first != std::string::npos && url.find(secret, first + 1) == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string url(reinterpret_cast<const char*>(data), size);
  try {
    keepsake::DatabaseConfig db = keepsake::parse_database_url(url);
    const std::string& secret = db.password;
    if (secret.size() >= 6 && appears_once(url, secret) && db.display_url().find(secret) != std::string::npos) {
      std::abort();
    }
    (void)db.libpq_params();
    (void)db.libpq_env();
  } catch (const keepsake::Error& e) {
    // The password of a URL that failed to parse: after the user's ':' up to the '@' (a user part
    // holding '/' is a path, not a user).
    size_t scheme = url.find("://"), at = url.rfind('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      std::string userinfo = url.substr(scheme + 3, at - scheme - 3);
      size_t colon = userinfo.find(':');
      std::string secret = colon == std::string::npos ? "" : userinfo.substr(colon + 1);
      if (secret.size() >= 6 && appears_once(url, secret) && userinfo.find('/') == std::string::npos &&
          userinfo.find('\n') == std::string::npos &&
          std::string(e.what()).find(secret) != std::string::npos) {
        std::abort();
      }
    }
  }
  return 0;
}
