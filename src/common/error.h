// The one way Keepsake reports errors: throw keepsake::Error.
//
// An Error carries a kind (which decides the exit code of the CLI and the HTTP status of a route),
// a message a user can act on, and optionally the SQLSTATE of a PostgreSQL failure and a hint.
// Messages must never contain secrets (passwords, tokens, keys): callers redact before throwing.
#pragma once

#include <stdexcept>
#include <string>

namespace keepsake {

enum class ErrorKind {
  kInvalidArgument,  // bad input from a user, a request, a file or the environment
  kNotFound,
  kConflict,         // the state forbids it now (already exists, busy, locked)
  kUnauthorized,     // missing or invalid credentials
  kForbidden,        // valid credentials, missing permission
  kDatabase,         // PostgreSQL reported an error
  kUnavailable,      // a server or tool cannot be reached or started
  kIo,               // filesystem or process failure
  kCorrupt,          // data failed a check (bad checksum, truncated stream, schema mismatch)
  kInternal,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string hint = {}, std::string sqlstate = {})
      : std::runtime_error(std::move(message)),
        kind_(kind),
        hint_(std::move(hint)),
        sqlstate_(std::move(sqlstate)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }
  const std::string& sqlstate() const { return sqlstate_; }

  // The message followed by the hint, on one line.
  std::string full_message() const;

 private:
  ErrorKind kind_;
  std::string hint_;
  std::string sqlstate_;
};

// An Error's full_message(), any other exception's what().
std::string full_message_of(const std::exception& e);

// The HTTP status code that matches an error kind (400, 401, 403, 404, 409, 500, 503).
int http_status_for(ErrorKind kind);

// Immich's name for an HTTP status ("Bad Request", "Unauthorized", ...).
const char* http_status_text(int status);

// The process exit code the CLI uses for an error kind (always non-zero).
int exit_code_for(ErrorKind kind);

}  // namespace keepsake
