#include "auth/api_key_repository.h"

#include <nlohmann/json.hpp>

namespace keepsake::auth {
namespace {

constexpr const char* kColumns = R"(k.id::text, k.name, k."userId"::text,
  array_to_json(k.permissions)::text,
  to_char(k."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  to_char(k."updatedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), k.key)";

ApiKeyRecord read_key(const db::Result& r, int row) {
  ApiKeyRecord k;
  k.id = r.text(row, 0);
  k.name = r.text(row, 1);
  k.user_id = r.text(row, 2);
  for (const auto& p : nlohmann::json::parse(r.text(row, 3))) k.permissions.push_back(p);
  k.created_at = r.text(row, 4);
  k.updated_at = r.text(row, 5);
  k.key_digest = r.bytea(row, 6);
  return k;
}

}  // namespace

std::string text_array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<ApiKeyRecord> ApiKeyRepository::query(const std::string& sql, const db::Params& params,
                                                  const char* purpose) {
  auto r = conn_.exec(sql, params, purpose);
  std::vector<ApiKeyRecord> keys;
  for (int i = 0; i < r.rows(); ++i) keys.push_back(read_key(r, i));
  return keys;
}

ApiKeyRecord ApiKeyRepository::create(const std::string& user_id, const std::string& name,
                                      const std::string& key_digest,
                                      const std::vector<std::string>& permissions) {
  auto keys = query(std::string(R"(WITH k AS (INSERT INTO api_key ("userId", name, key, permissions)
      VALUES ($1::uuid, $2, $3::bytea, $4::varchar[]) RETURNING *) SELECT )") + kColumns +
                        " FROM k",
                    {user_id, name, db::bytea_param(key_digest), text_array_literal(permissions)},
                    "create API key");
  return keys.front();
}

std::optional<ApiKeyRecord> ApiKeyRepository::find_by_key_digest(const std::string& key_digest) {
  auto keys = query(std::string("SELECT ") + kColumns + R"( FROM api_key k
      JOIN "user" u ON u.id = k."userId" WHERE k.key = $1::bytea AND u."deletedAt" IS NULL LIMIT 1)",
                    {db::bytea_param(key_digest)}, "find API key");
  if (keys.empty()) return std::nullopt;
  return keys.front();
}

std::vector<ApiKeyRecord> ApiKeyRepository::list(const std::string& user_id) {
  return query(std::string("SELECT ") + kColumns +
                   R"( FROM api_key k WHERE k."userId"::text = $1 ORDER BY k."createdAt" DESC)",
               {user_id}, "list API keys");
}

std::optional<ApiKeyRecord> ApiKeyRepository::get(const std::string& user_id,
                                                  const std::string& id) {
  auto keys = query(std::string("SELECT ") + kColumns +
                        R"( FROM api_key k WHERE k."userId"::text = $1 AND k.id::text = $2)",
                    {user_id, id}, "read API key");
  if (keys.empty()) return std::nullopt;
  return keys.front();
}

std::optional<ApiKeyRecord> ApiKeyRepository::update(const std::string& user_id,
                                                     const std::string& id,
                                                     const std::string& name,
                                                     const std::vector<std::string>& permissions) {
  auto keys = query(std::string(R"(WITH k AS (UPDATE api_key SET name = $3,
      permissions = $4::varchar[] WHERE "userId"::text = $1 AND id::text = $2 RETURNING *)
      SELECT )") + kColumns + " FROM k",
                    {user_id, id, name, text_array_literal(permissions)}, "update API key");
  if (keys.empty()) return std::nullopt;
  return keys.front();
}

bool ApiKeyRepository::remove(const std::string& user_id, const std::string& id) {
  return conn_.exec(R"(DELETE FROM api_key WHERE "userId"::text = $1 AND id::text = $2)",
                    {user_id, id}, "delete API key")
             .affected() > 0;
}

}  // namespace keepsake::auth
