#include "auth/auth_service.h"

#include <regex>

#include "auth/crypto.h"
#include "auth/session_repository.h"
#include "common/error.h"

namespace keepsake::auth {
namespace {

// Verified against when the email is unknown, so both cases cost one bcrypt run.
const std::string& dummy_hash() {
  static const std::string hash = hash_password("keepsake-timing-equaliser");
  return hash;
}

AuthUser auth_user_from(const UserRecord& user) {
  AuthUser a;
  a.id = user.id;
  a.email = user.email;
  a.name = user.name;
  a.is_admin = user.is_admin;
  return a;
}

}  // namespace

void validate_email(const std::string& email) {
  static const std::regex kEmail(R"(^[^\s@]+@[^\s@]+$)");
  if (email.size() > 320 || !std::regex_match(email, kEmail)) {
    throw Error(ErrorKind::kInvalidArgument, "email must be an email");
  }
}

void validate_permissions(const std::vector<std::string>& permissions) {
  static const std::regex kName(R"(^[a-zA-Z]+(\.[a-zA-Z]+)*$)");
  if (permissions.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "permissions must contain at least 1 elements");
  }
  for (const auto& p : permissions) {
    if (p.size() > 100 || !std::regex_match(p, kName)) {
      throw Error(ErrorKind::kInvalidArgument,
                  "each value in permissions must be one of Immich's permission names");
    }
  }
}

AuthService::AuthService(db::Pool& pool, RateLimitOptions limits)
    : pool_(pool), limiter_(limits) {}

AuthUser AuthService::authenticate(const Credentials& credentials) {
  if (credentials.empty()) throw Error(ErrorKind::kUnauthorized, "Authentication required");
  auto conn = pool_.acquire();
  if (!credentials.session_token.empty()) return from_session(*conn, credentials.session_token);
  return from_api_key(*conn, credentials.api_key);
}

AuthUser AuthService::from_session(db::Connection& conn, const std::string& token) {
  std::string digest = sha256(token);
  SessionRepository sessions(conn);
  auto session = sessions.find_by_token_digest(digest);
  if (!session || !constant_time_equal(session->token_digest, digest)) {
    throw Error(ErrorKind::kUnauthorized, "Invalid user token");
  }
  auto user = UserRepository(conn).find_by_id(session->user_id);
  if (!user) throw Error(ErrorKind::kUnauthorized, "Invalid user token");
  if (session->needs_touch) sessions.touch(session->id);
  AuthUser a = auth_user_from(*user);
  a.session_id = session->id;
  a.permissions = {std::string(permission::kAll)};
  return a;
}

AuthUser AuthService::from_api_key(db::Connection& conn, const std::string& key) {
  std::string digest = sha256(key);
  auto record = ApiKeyRepository(conn).find_by_key_digest(digest);
  if (!record || !constant_time_equal(record->key_digest, digest)) {
    throw Error(ErrorKind::kUnauthorized, "Invalid API key");
  }
  auto user = UserRepository(conn).find_by_id(record->user_id);
  if (!user) throw Error(ErrorKind::kUnauthorized, "Invalid API key");
  AuthUser a = auth_user_from(*user);
  a.api_key_id = record->id;
  a.permissions = record->permissions;
  return a;
}

LoginOutcome AuthService::login(const LoginRequest& request) {
  LoginOutcome outcome;
  if (long wait = limiter_.retry_after(request.client_address, request.email); wait > 0) {
    outcome.status = LoginOutcome::Status::kRateLimited;
    outcome.retry_after_seconds = wait;
    return outcome;
  }
  auto conn = pool_.acquire();
  auto user = UserRepository(*conn).find_by_email(request.email);
  bool ok = verify_password(request.password, user ? user->password_hash : dummy_hash());
  if (!user || !ok) {
    limiter_.record_failure(request.client_address, request.email);
    return outcome;
  }
  limiter_.record_success(request.email);
  outcome.token = new_token();
  outcome.session_id = SessionRepository(*conn).create(user->id, sha256(outcome.token),
                                                       request.device_type, request.device_os);
  outcome.status = LoginOutcome::Status::kOk;
  outcome.user = std::move(user);
  return outcome;
}

void AuthService::logout(const std::string& session_id) {
  if (session_id.empty()) return;
  auto conn = pool_.acquire();
  SessionRepository(*conn).remove(session_id);
}

UserRecord AuthService::admin_sign_up(const std::string& email, const std::string& password,
                                      const std::string& name) {
  validate_email(email);
  if (password.empty()) throw Error(ErrorKind::kInvalidArgument, "password should not be empty");
  if (name.empty()) throw Error(ErrorKind::kInvalidArgument, "name should not be empty");
  std::string hash = hash_password(password);
  auto conn = pool_.acquire();
  db::Transaction tx(*conn);
  // Two concurrent sign-ups must not both see "no admin yet".
  tx.exec(R"(LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE)", {}, "lock users for sign-up");
  UserRepository users(*conn);
  if (users.find_admin()) {
    throw Error(ErrorKind::kInvalidArgument, "The server already has an admin");
  }
  UserRecord created = users.create({.email = email,
                                     .name = name,
                                     .password_hash = hash,
                                     .is_admin = true,
                                     .should_change_password = false,
                                     .storage_label = "admin"});
  tx.commit();
  return created;
}

void AuthService::reset_password(const std::string& email, const std::string& new_password) {
  if (new_password.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "password should not be empty");
  }
  std::string hash = hash_password(new_password);
  auto conn = pool_.acquire();
  UserRepository users(*conn);
  auto user = users.find_by_email(email);
  if (!user || !users.set_password(user->id, hash, false)) {
    throw Error(ErrorKind::kNotFound, "User not found", "check the email address");
  }
}

CreatedApiKey AuthService::create_api_key(const AuthUser& owner, const std::string& name,
                                          const std::vector<std::string>& permissions) {
  validate_permissions(permissions);
  if (owner.by_api_key()) {
    for (const auto& p : permissions) {
      if (!owner.has_permission(p)) {
        throw Error(ErrorKind::kInvalidArgument, "Cannot grant permissions you do not have");
      }
    }
  }
  CreatedApiKey created;
  created.secret = new_token();
  auto conn = pool_.acquire();
  created.key = ApiKeyRepository(*conn).create(owner.id, name.empty() ? "API Key" : name,
                                               sha256(created.secret), permissions);
  return created;
}

}  // namespace keepsake::auth
