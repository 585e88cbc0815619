#include "auth/auth_fixture.h"

#include "auth/api_key_repository.h"
#include "auth/crypto.h"

namespace keepsake::testing {

void create_immich_auth_tables(db::Connection& conn) {
  conn.exec_script(R"sql(
CREATE TABLE "user" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  "email" character varying NOT NULL UNIQUE,
  "password" character varying NOT NULL DEFAULT '',
  "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
  "profileImagePath" character varying NOT NULL DEFAULT '',
  "isAdmin" boolean NOT NULL DEFAULT false,
  "shouldChangePassword" boolean NOT NULL DEFAULT true,
  "deletedAt" timestamp with time zone,
  "oauthId" character varying NOT NULL DEFAULT '',
  "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
  "storageLabel" character varying UNIQUE,
  "name" character varying NOT NULL DEFAULT '',
  "quotaSizeInBytes" bigint,
  "quotaUsageInBytes" bigint NOT NULL DEFAULT 0,
  "status" character varying NOT NULL DEFAULT 'active',
  "profileChangedAt" timestamp with time zone NOT NULL DEFAULT now(),
  "updateId" uuid NOT NULL DEFAULT gen_random_uuid(),
  "avatarColor" character varying,
  "pinCode" character varying);
CREATE TABLE "session" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  "token" bytea NOT NULL,
  "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
  "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
  "userId" uuid NOT NULL REFERENCES "user"(id) ON UPDATE CASCADE ON DELETE CASCADE,
  "deviceType" character varying NOT NULL DEFAULT '',
  "deviceOS" character varying NOT NULL DEFAULT '',
  "updateId" uuid NOT NULL DEFAULT gen_random_uuid(),
  "pinExpiresAt" timestamp with time zone,
  "expiresAt" timestamp with time zone,
  "parentId" uuid REFERENCES session(id) ON UPDATE CASCADE ON DELETE CASCADE,
  "isPendingSyncReset" boolean NOT NULL DEFAULT false,
  "appVersion" character varying);
CREATE INDEX session_token_idx ON session (token);
CREATE TABLE "api_key" (
  "name" character varying NOT NULL,
  "key" bytea NOT NULL,
  "userId" uuid NOT NULL REFERENCES "user"(id) ON UPDATE CASCADE ON DELETE CASCADE,
  "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
  "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
  "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  "permissions" character varying[] NOT NULL,
  "updateId" uuid NOT NULL DEFAULT gen_random_uuid());
CREATE INDEX api_key_key_idx ON api_key (key);
CREATE TABLE "user_metadata" (
  "userId" uuid NOT NULL REFERENCES "user"(id) ON UPDATE CASCADE ON DELETE CASCADE,
  "key" character varying NOT NULL,
  "value" jsonb NOT NULL,
  "updateId" uuid NOT NULL DEFAULT gen_random_uuid(),
  "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
  PRIMARY KEY ("userId", key));
)sql",
                   "create Immich auth tables");
}

void AuthDatabaseTest::SetUp() {
  DatabaseTest::SetUp();
  create_immich_auth_tables(*conn_);
  pool_ = std::make_unique<db::Pool>(db_config_, 4);
  auth_ = std::make_unique<auth::AuthService>(*pool_);
}

void AuthDatabaseTest::TearDown() {
  auth_.reset();
  pool_.reset();
  DatabaseTest::TearDown();
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
