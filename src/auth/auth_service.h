// Users, sessions and API keys on Immich's tables: authenticate a request's credentials, log in
// and out, create the first admin, reset a password, and manage API keys. Tokens and keys are
// returned in plain text exactly once (at creation) and stored only as SHA-256 digests.
// Never logs a password, token, key or hash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/api_key_repository.h"
#include "auth/auth_user.h"
#include "auth/rate_limiter.h"
#include "auth/user_repository.h"
#include "common/error.h"
#include "db/pool.h"

namespace keepsake::auth {

struct LoginRequest {
  std::string email;
  std::string password;     // secret
  std::string client_address;
  std::string device_type;  // e.g. from the User-Agent
  std::string device_os;
};

struct LoginOutcome {
  enum class Status { kOk, kBadCredentials, kRateLimited } status = Status::kBadCredentials;
  long retry_after_seconds = 0;
  std::string token;  // secret, only when kOk
  std::string session_id;
  std::optional<UserRecord> user;
};

struct CreatedApiKey {
  std::string secret;  // shown once
  ApiKeyRecord key;
};

class AuthService {
 public:
  explicit AuthService(db::Pool& pool, RateLimitOptions limits = {});

  // Session token first, then API key (Immich's order). Throws kUnauthorized:
  // "Authentication required", "Invalid user token" or "Invalid API key".
  AuthUser authenticate(const Credentials& credentials);

  LoginOutcome login(const LoginRequest& request);
  void logout(const std::string& session_id);

  // Only while no admin exists (else kInvalidArgument "The server already has an admin").
  UserRecord admin_sign_up(const std::string& email, const std::string& password,
                           const std::string& name);
  // Sets a new bcrypt hash; kNotFound when no such user.
  void reset_password(const std::string& email, const std::string& new_password);

  CreatedApiKey create_api_key(const AuthUser& owner, const std::string& name,
                               const std::vector<std::string>& permissions);

  LoginRateLimiter& rate_limiter() { return limiter_; }

 private:
  AuthUser from_session(db::Connection& conn, const std::string& token);
  AuthUser from_api_key(db::Connection& conn, const std::string& key);

  db::Pool& pool_;
  LoginRateLimiter limiter_;
};

// Validates Immich-style inputs (kInvalidArgument with class-validator-like messages).
void validate_email(const std::string& email);
void validate_permissions(const std::vector<std::string>& permissions);

}  // namespace keepsake::auth
