// Immich's "user" table (shared with Immich): look-ups by email and id, the first admin, and
// password changes. Only parameterised SQL. Never returns or logs the password hash outside
// UserRecord::password_hash, which callers only pass to password verification.
#pragma once

#include <optional>
#include <string>

#include "db/connection.h"

namespace keepsake::auth {

struct UserRecord {
  std::string id;
  std::string email;
  std::string name;
  std::string password_hash;  // bcrypt; secret
  bool is_admin = false;
  std::string profile_image_path;
  bool should_change_password = false;
  std::string avatar_color;   // may be empty (NULL)
  std::string created_at;     // ISO 8601 UTC
  std::string updated_at;
  std::string profile_changed_at;
  std::string storage_label;  // may be empty (NULL)
  std::string oauth_id;
  std::string status;
  std::optional<int64_t> quota_size_in_bytes;
  int64_t quota_usage_in_bytes = 0;
};

struct NewUser {
  std::string email;
  std::string name;
  std::string password_hash;
  bool is_admin = false;
  bool should_change_password = false;
  std::string storage_label;  // empty = NULL
};

class UserRepository {
 public:
  explicit UserRepository(db::Connection& conn) : conn_(conn) {}

  // Active users only (deletedAt IS NULL). Emails compare case-insensitively as Immich lowercases.
  std::optional<UserRecord> find_by_email(const std::string& email);
  std::optional<UserRecord> find_by_id(const std::string& id);
  // True when an active admin exists; false also when the table does not exist yet.
  bool admin_exists();
  std::optional<UserRecord> find_admin();
  // user_metadata 'onboarding'.isOnboarded; false when absent (or the table is missing).
  bool is_onboarded(const std::string& id);
  // Inserts; throws kConflict when the email is taken.
  UserRecord create(const NewUser& user);
  // Returns false when no such active user.
  bool set_password(const std::string& id, const std::string& password_hash,
                    bool should_change_password);

 private:
  std::optional<UserRecord> find_one(const std::string& where, const db::Params& params);
  db::Connection& conn_;
};

}  // namespace keepsake::auth
