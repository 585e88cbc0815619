#include "auth/session_repository.h"

namespace keepsake::auth {

std::string SessionRepository::create(const std::string& user_id, const std::string& token_digest,
                                      const std::string& device_type,
                                      const std::string& device_os,
                                      const std::string& expires_at) {
  auto r = conn_.exec(R"(INSERT INTO session ("userId", token, "deviceType", "deviceOS", "expiresAt")
                         VALUES ($1::uuid, $2::bytea, $3, $4, $5::timestamptz) RETURNING id::text)",
                      {user_id, db::bytea_param(token_digest), device_type, device_os,
                       expires_at.empty() ? db::Param{} : db::Param{expires_at}},
                      "create session");
  return r.text(0, 0);
}

std::optional<SessionRecord> SessionRepository::find_by_token_digest(
    const std::string& token_digest) {
  auto r = conn_.exec(R"(SELECT s.id::text, s."userId"::text, s.token,
                                s."updatedAt" < now() - interval '1 hour'
                         FROM session s JOIN "user" u ON u.id = s."userId"
                         WHERE s.token = $1::bytea AND u."deletedAt" IS NULL
                           AND (s."expiresAt" IS NULL OR s."expiresAt" > now())
                         LIMIT 1)",
                      {db::bytea_param(token_digest)}, "find session");
  if (r.empty()) return std::nullopt;
  return SessionRecord{r.text(0, 0), r.text(0, 1), r.bytea(0, 2), r.boolean(0, 3)};
}

void SessionRepository::touch(const std::string& id) {
  conn_.exec(R"(UPDATE session SET "updatedAt" = now() WHERE id = $1::uuid)", {id},
             "refresh session");
}

bool SessionRepository::remove(const std::string& id) {
  return conn_.exec("DELETE FROM session WHERE id = $1::uuid", {id}, "end session").affected() > 0;
}

}  // namespace keepsake::auth
