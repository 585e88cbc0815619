// Splits a postgresql:// URL into its parts the way URL parsers do (Immich reads DB_URL with
// pg-connection-string, i.e. WHATWG URL rules): the user information ends at the LAST '@' of the
// authority, so an unencoded '@' in a password stays in the password. libpq ends it at the first
// '@' instead; Keepsake hands libpq keyword values, never the URL itself.
// Must never put any part of the URL into an error message: a mis-split password could be quoted.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepsake {

struct PostgresUrlParts {
  std::string user, password, host, port, dbname;            // percent-decoded; empty = absent
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
};

// Throws keepsake::Error (kInvalidArgument) whose message names the part that is wrong, never its
// text. The scheme is not checked here.
PostgresUrlParts split_postgres_url(std::string_view url);

}  // namespace keepsake
