// DB_URL (src/config/config parse_database_url): any text either parses or throws
// keepsake::Error; the displayed URL never depends on the password, and an error never depends on
// the password's letters (the same URL with other letters in its password fails with the same
// message: nothing of it is quoted).
#include <algorithm>
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

// The URL with the letters g-z of its written password (after the user's ':' up to the last '@'
// of the authority, which ends at the first '/', '?' or '#', as URL parsers read it) shifted: the
// same structure (no delimiter, no hex digit of a %-escape changes), another secret.
std::string with_other_password(std::string url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return url;
  size_t at = url.rfind('@', url.find_first_of("/?#", start + 3));
  if (at == std::string::npos || at < start) return url;
  if (url.find("://", start + 3) != std::string::npos) return url;  // several URLs: no one password
  size_t colon = url.find(':', start + 3);
  if (colon == std::string::npos || colon > at || at - colon < 7) return url;  // short ones may be everywhere
  if (!appears_once(url, url.substr(colon + 1, at - colon - 1))) return url;  // redacted wherever it stands
  for (size_t i = colon + 1; i < at; ++i) {
    char& c = url[i];
    if (c >= 'g' && c <= 'z') c = c == 'z' ? 'g' : static_cast<char>(c + 1);
    if (c >= 'G' && c <= 'Z') c = c == 'Z' ? 'G' : static_cast<char>(c + 1);
  }
  return url;
}

std::string error_of(const std::string& url) {
  try {
    keepsake::parse_database_url(url);
  } catch (const keepsake::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string url(reinterpret_cast<const char*>(data), size);
  url.erase(std::min(url.find('\0'), url.size()));  // an environment variable ends at a NUL
  try {
    keepsake::DatabaseConfig db = keepsake::parse_database_url(url);
    // The displayed URL never depends on the password. (Looking for the password's text in it
    // was a false alarm: a user "…toes" on localhost shows "toes@localhost", which holds the
    // password "oes@localh"; kept as corpus/db_url/crash-password-text-in-user-and-host.)
    keepsake::DatabaseConfig other = db;
    other.password = db.password == "x" ? "y" : "x";
    if (other.display_url() != db.display_url()) std::abort();
    (void)db.libpq_params();
    (void)db.libpq_env();
  } catch (const keepsake::Error& e) {
    if (error_of(with_other_password(url)) != e.what()) std::abort();
  }
  return 0;
}
