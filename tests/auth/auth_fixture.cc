#include "auth/auth_fixture.h"

#include "auth/api_key_repository.h"
#include "auth/crypto.h"

namespace keepsake::testing {

void AuthDatabaseTest::SetUp() {
  BootstrappedDatabaseTest::SetUp();
  pool_ = std::make_unique<db::Pool>(db_config_, 4);
  auth_ = std::make_unique<auth::AuthService>(*pool_);
}

void AuthDatabaseTest::TearDown() {
  auth_.reset();
  pool_.reset();
  BootstrappedDatabaseTest::TearDown();
}

std::string AuthDatabaseTest::insert_user(const std::string& email, const std::string& hash,
                                          bool is_admin, const std::string& name) {
  return conn_
      ->exec(R"(INSERT INTO "user" (email, password, "isAdmin", name) VALUES ($1, $2, $3, $4)
                RETURNING id::text)",
             {email, hash, is_admin ? "true" : "false", name})
      .text(0, 0);
}

std::string AuthDatabaseTest::insert_session(const std::string& user_id, const std::string& token,
                                             const std::string& expires_at_sql) {
  return conn_
      ->exec(R"(INSERT INTO session ("userId", token, "expiresAt") VALUES ($1, $2::bytea, )" +
                 expires_at_sql + ") RETURNING id::text",
             {user_id, db::bytea_param(auth::sha256(token))})
      .text(0, 0);
}

std::string AuthDatabaseTest::insert_api_key(const std::string& user_id, const std::string& key,
                                             const std::vector<std::string>& permissions) {
  return conn_
      ->exec(R"(INSERT INTO api_key (name, key, "userId", permissions)
                VALUES ('test', $1::bytea, $2, $3::varchar[]) RETURNING id::text)",
             {db::bytea_param(auth::sha256(key)), user_id, auth::text_array_literal(permissions)})
      .text(0, 0);
}

}  // namespace keepsake::testing
