// Immich's "api_key" table: each key is stored as the SHA-256 digest of its secret, with a name
// and a list of permission names. Every operation but the look-up by digest is scoped to a user.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::auth {

struct ApiKeyRecord {
  std::string id;
  std::string name;
  std::string user_id;
  std::vector<std::string> permissions;
  std::string created_at;  // ISO 8601 UTC
  std::string updated_at;
  std::string key_digest;  // raw 32 bytes (only filled by find_by_key_digest)
};

class ApiKeyRepository {
 public:
  explicit ApiKeyRepository(db::Connection& conn) : conn_(conn) {}

  ApiKeyRecord create(const std::string& user_id, const std::string& name,
                      const std::string& key_digest, const std::vector<std::string>& permissions);
  // Keys of active users only.
  std::optional<ApiKeyRecord> find_by_key_digest(const std::string& key_digest);
  std::vector<ApiKeyRecord> list(const std::string& user_id);
  std::optional<ApiKeyRecord> get(const std::string& user_id, const std::string& id);
  std::optional<ApiKeyRecord> update(const std::string& user_id, const std::string& id,
                                     const std::string& name,
                                     const std::vector<std::string>& permissions);
  bool remove(const std::string& user_id, const std::string& id);

 private:
  std::vector<ApiKeyRecord> query(const std::string& sql, const db::Params& params,
                                  const char* purpose);
  db::Connection& conn_;
};

// A PostgreSQL array literal ({"a","b"}) for a text[] parameter.
std::string text_array_literal(const std::vector<std::string>& values);

}  // namespace keepsake::auth
