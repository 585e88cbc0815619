#include "config/postgres_url.h"

#include "common/error.h"

namespace keepsake {
namespace {

[[noreturn]] void malformed(const std::string& what) { throw Error(ErrorKind::kInvalidArgument, what); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict: a '%' not followed by two hex digits is refused (as JavaScript's decodeURIComponent,
// which pg-connection-string applies to the user and password, refuses it).
std::string percent_decoded(std::string_view text, const char* part, bool plus_is_space = false) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      malformed(std::string("its ") + part + " has a '%' that is not followed by two hexadecimal digits");
    }
  }
  return out;
}

void split_user_information(std::string_view userinfo, PostgresUrlParts& parts) {
  size_t colon = userinfo.find(':');
  parts.user = percent_decoded(userinfo.substr(0, colon), "user name");
  if (colon != std::string_view::npos) parts.password = percent_decoded(userinfo.substr(colon + 1), "password");
}

void split_host_and_port(std::string_view hostport, PostgresUrlParts& parts) {
  size_t host_end = 0;
  if (!hostport.empty() && hostport[0] == '[') {
    host_end = hostport.find(']');
    if (host_end == std::string_view::npos) malformed("its IPv6 host has no closing ']'");
    parts.host = std::string(hostport.substr(1, host_end - 1));
    ++host_end;
    if (host_end < hostport.size() && hostport[host_end] != ':') malformed("its IPv6 host is followed by something other than ':<port>'");
  } else {
    host_end = std::min(hostport.find(':'), hostport.size());
    parts.host = percent_decoded(hostport.substr(0, host_end), "host");
  }
  if (host_end < hostport.size()) parts.port = std::string(hostport.substr(host_end + 1));
}

void split_query(std::string_view query, PostgresUrlParts& parts) {
  size_t number = 0;
  while (!query.empty()) {
    size_t amp = std::min(query.find('&'), query.size());
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(std::min(amp + 1, query.size()));
    ++number;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      malformed("its query parameter #" + std::to_string(number) + " has no '=' (write key=value)");
    }
    parts.query.emplace_back(percent_decoded(pair.substr(0, eq), "query", true),
                             percent_decoded(pair.substr(eq + 1), "query", true));
  }
}

}  // namespace

PostgresUrlParts split_postgres_url(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) malformed("it is not a URL (no \"://\")");
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));  // a fragment means nothing to a connection

  size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  PostgresUrlParts parts;
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    split_user_information(authority.substr(0, at), parts);
    authority.remove_prefix(at + 1);
  }
  split_host_and_port(authority, parts);

  std::string_view tail = rest.substr(authority_end);
  size_t question = std::min(tail.find('?'), tail.size());
  std::string_view path = tail.substr(0, question);
  if (!path.empty()) path.remove_prefix(1);  // the '/'
  parts.dbname = percent_decoded(path, "database name");
  if (question < tail.size()) split_query(tail.substr(question + 1), parts);
  return parts;
}

}  // namespace keepsake
