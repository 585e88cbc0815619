// Immich's "session" table: a login is a row holding the SHA-256 digest of its token (never the
// token). Expired sessions (expiresAt in the past) and sessions of deleted users are never found.
#pragma once

#include <optional>
#include <string>

#include "db/connection.h"

namespace keepsake::auth {

struct SessionRecord {
  std::string id;
  std::string user_id;
  std::string token_digest;  // raw 32 bytes
  bool needs_touch = false;  // updatedAt older than an hour
};

class SessionRepository {
 public:
  explicit SessionRepository(db::Connection& conn) : conn_(conn) {}

  // Returns the new session's id. expires_at: ISO timestamp or empty for none.
  std::string create(const std::string& user_id, const std::string& token_digest,
                     const std::string& device_type, const std::string& device_os,
                     const std::string& expires_at = {});
  std::optional<SessionRecord> find_by_token_digest(const std::string& token_digest);
  void touch(const std::string& id);
  bool remove(const std::string& id);

 private:
  db::Connection& conn_;
};

}  // namespace keepsake::auth
