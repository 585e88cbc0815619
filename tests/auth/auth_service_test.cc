#include "auth/auth_service.h"

#include <gtest/gtest.h>

#include "auth/auth_fixture.h"
#include "auth/crypto.h"
#include "auth/user_repository.h"

namespace keepsake::auth {
namespace {

// Test vectors made outside Keepsake with Immich's algorithms:
// - bcrypt cost 10, $2b$ (Python's crypt / libxcrypt; verified with the bcryptjs npm package).
constexpr const char* kImmichPassword = "correct horse battery staple";
constexpr const char* kImmichHash = "$2b$10$VkNhEOwuWTkyfgIIOSFvC.dDr1xdbPG6cTQ3XxrvbBHjPJ/uZKKki";
// - an API key and a session token: Node's crypto.randomBytes(32).toString('base64')
//   .replace(/\W/g, ''), with createHash('sha256').update(value).digest('hex').
constexpr const char* kImmichApiKey = "AIPEmmI0mEMbxLqOkUtmURjv896kucVXj3WJzD8HvY";
constexpr const char* kImmichApiKeyDigest =
    "\\x589f7b5e6af0f9581d33ce9624919238ccc894c4c580334a42bc8ec4ac7b6069";
constexpr const char* kImmichToken = "9Uby30z3vCL74B2ohBrNAs20KJQaTj57RmEDdsr0cY";
constexpr const char* kImmichTokenDigest =
    "\\xc0a08a7960d83506a538d3e3d2f7cc0c9af9c159b7639f39a4cabfc05f92f7a5";

class AuthServiceTest : public keepsake::testing::AuthDatabaseTest {};

TEST(AuthCrypto, BcryptMatchesKnownVectorsAndKeepsakeHashesVerify) {
  EXPECT_TRUE(verify_password(kImmichPassword, kImmichHash));
  EXPECT_FALSE(verify_password("wrong", kImmichHash));
  // OpenBSD's published vector.
  EXPECT_TRUE(verify_password("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  std::string mine = hash_password("s3cret!");
  EXPECT_TRUE(mine.starts_with("$2b$10$")) << mine.substr(0, 7);
  EXPECT_EQ(mine.size(), 60u);
  EXPECT_TRUE(verify_password("s3cret!", mine));
  EXPECT_FALSE(verify_password("s3cret", mine));
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "not-a-hash"));
  EXPECT_THROW(hash_password(""), Error);
}

TEST(AuthCrypto, TokensLookLikeImmichsAndDigestsAreSha256) {
  for (int i = 0; i < 20; ++i) {
    std::string t = new_token();
    EXPECT_GE(t.size(), 30u);  // 43 base64 characters minus any "+" and "/"
    EXPECT_LE(t.size(), 43u);
    for (char c : t) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_') << t;
  }
  EXPECT_NE(new_token(), new_token());
  EXPECT_EQ(to_hex(sha256(kImmichApiKey)), std::string(kImmichApiKeyDigest).substr(2));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST_F(AuthServiceTest, ImmichPasswordLogsInAndCreatesASessionThatAuthenticates) {
  std::string id = insert_user("Admin@Example.com", kImmichHash, true, "Admin");
  LoginOutcome out = auth_->login({.email = "admin@example.com", .password = kImmichPassword,
                                   .client_address = "10.0.0.1"});
  ASSERT_EQ(out.status, LoginOutcome::Status::kOk);
  EXPECT_EQ(out.user->id, id);
  // The database holds only the token's digest.
  auto row = conn_->exec(R"(SELECT token FROM session WHERE "userId" = $1)", {id});
  ASSERT_EQ(row.rows(), 1);
  EXPECT_EQ(row.bytea(0, 0), sha256(out.token));
  AuthUser user = auth_->authenticate({.session_token = out.token});
  EXPECT_EQ(user.id, id);
  EXPECT_TRUE(user.is_admin);
  EXPECT_EQ(user.session_id, out.session_id);
  EXPECT_TRUE(user.has_permission("backup.delete"));
  auth_->logout(user.session_id);
  EXPECT_THROW(auth_->authenticate({.session_token = out.token}), Error);
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownEmailAreRefused) {
  insert_user("a@example.com", kImmichHash);
  EXPECT_EQ(auth_->login({.email = "a@example.com", .password = "nope"}).status,
            LoginOutcome::Status::kBadCredentials);
  EXPECT_EQ(auth_->login({.email = "b@example.com", .password = kImmichPassword}).status,
            LoginOutcome::Status::kBadCredentials);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM session").int64(0, 0), 0);
}

TEST_F(AuthServiceTest, ImmichSessionRowAuthenticatesAndExpiryIsRespected) {
  std::string id = insert_user("a@example.com", kImmichHash);
  conn_->exec(R"(INSERT INTO session ("userId", token) VALUES ($1, $2::bytea))",
              {id, kImmichTokenDigest});
  EXPECT_EQ(auth_->authenticate({.session_token = kImmichToken}).id, id);
  conn_->exec(R"(UPDATE session SET "expiresAt" = now() - interval '1 minute')");
  try {
    auth_->authenticate({.session_token = kImmichToken});
    FAIL() << "an expired session authenticated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    EXPECT_STREQ(e.what(), "Invalid user token");
  }
  conn_->exec(R"(UPDATE session SET "expiresAt" = now() + interval '1 hour')");
  EXPECT_EQ(auth_->authenticate({.session_token = kImmichToken}).id, id);
}

TEST_F(AuthServiceTest, ImmichApiKeyAuthenticatesWithItsPermissionsUntilDeleted) {
  std::string id = insert_user("a@example.com", kImmichHash, true);
  conn_->exec(R"(INSERT INTO api_key (name, key, "userId", permissions)
                 VALUES ('immich', $1::bytea, $2, '{backup.download,maintenance}'))",
              {kImmichApiKeyDigest, id});
  AuthUser user = auth_->authenticate({.api_key = kImmichApiKey});
  EXPECT_EQ(user.id, id);
  EXPECT_TRUE(user.by_api_key());
  EXPECT_TRUE(user.has_permission("backup.download"));
  EXPECT_TRUE(user.has_permission("maintenance"));
  EXPECT_FALSE(user.has_permission("backup.delete"));
  conn_->exec("DELETE FROM api_key");
  try {
    auth_->authenticate({.api_key = kImmichApiKey});
    FAIL() << "a deleted key authenticated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    EXPECT_STREQ(e.what(), "Invalid API key");
  }
}

TEST_F(AuthServiceTest, DeletedUsersCredentialsStopWorking) {
  std::string id = insert_user("a@example.com", kImmichHash);
  insert_session(id, "tok");
  insert_api_key(id, "key", {"all"});
  EXPECT_EQ(auth_->authenticate({.session_token = "tok"}).id, id);
  conn_->exec(R"(UPDATE "user" SET "deletedAt" = now())");
  EXPECT_THROW(auth_->authenticate({.session_token = "tok"}), Error);
  EXPECT_THROW(auth_->authenticate({.api_key = "key"}), Error);
  EXPECT_EQ(auth_->login({.email = "a@example.com", .password = kImmichPassword}).status,
            LoginOutcome::Status::kBadCredentials);
}

TEST_F(AuthServiceTest, AdminSignUpOnlyWhileNoAdminExists) {
  UserRecord admin = auth_->admin_sign_up("Boss@Example.com", "pw-1", "Boss");
  EXPECT_TRUE(admin.is_admin);
  EXPECT_EQ(admin.email, "boss@example.com");
  EXPECT_EQ(admin.storage_label, "admin");
  auto stored = conn_->exec(R"(SELECT password FROM "user" WHERE id = $1)", {admin.id});
  EXPECT_TRUE(verify_password("pw-1", stored.text(0, 0)));
  try {
    auth_->admin_sign_up("other@example.com", "pw", "Other");
    FAIL() << "second admin created";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_STREQ(e.what(), "The server already has an admin");
  }
  EXPECT_EQ(conn_->exec(R"(SELECT count(*) FROM "user")").int64(0, 0), 1);
  EXPECT_THROW(auth_->admin_sign_up("not-an-email", "pw", "X"), Error);
}

TEST_F(AuthServiceTest, ResetPasswordReplacesTheHash) {
  insert_user("a@example.com", kImmichHash);
  auth_->reset_password("a@example.com", "new-password");
  EXPECT_EQ(auth_->login({.email = "a@example.com", .password = kImmichPassword}).status,
            LoginOutcome::Status::kBadCredentials);
  EXPECT_EQ(auth_->login({.email = "a@example.com", .password = "new-password"}).status,
            LoginOutcome::Status::kOk);
  EXPECT_THROW(auth_->reset_password("nobody@example.com", "x"), Error);
  EXPECT_THROW(auth_->reset_password("a@example.com", ""), Error);
}

TEST_F(AuthServiceTest, ApiKeyCreatedByKeepsakeIsStoredAsImmichDoes) {
  std::string id = insert_user("a@example.com", kImmichHash);
  AuthUser owner = auth_->authenticate({.session_token = [&] {
    insert_session(id, "tok");
    return std::string("tok");
  }()});
  CreatedApiKey created = auth_->create_api_key(owner, "", {"backup.download"});
  EXPECT_EQ(created.key.name, "API Key");
  auto row = conn_->exec(R"(SELECT key, permissions::text FROM api_key WHERE id = $1)",
                         {created.key.id});
  EXPECT_EQ(row.bytea(0, 0), sha256(created.secret));
  EXPECT_EQ(row.text(0, 1), "{backup.download}");
  AuthUser by_key = auth_->authenticate({.api_key = created.secret});
  // A key cannot grant more than it has.
  EXPECT_THROW(auth_->create_api_key(by_key, "x", {"all"}), Error);
  EXPECT_NO_THROW(auth_->create_api_key(by_key, "x", {"backup.download"}));
  EXPECT_THROW(auth_->create_api_key(owner, "x", {}), Error);
  EXPECT_THROW(auth_->create_api_key(owner, "x", {"drop table"}), Error);
}

TEST_F(AuthServiceTest, LoginFailuresAreRateLimitedPerEmailAndAddress) {
  insert_user("a@example.com", kImmichHash);
  AuthService limited(*pool_, {.max_failures_per_address = 5, .max_failures_per_email = 3});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limited.login({.email = "a@example.com", .password = "x", .client_address = "1.1.1.1"})
                  .status,
              LoginOutcome::Status::kBadCredentials);
  }
  // The right password is refused too while the email is blocked.
  auto blocked = limited.login(
      {.email = "a@example.com", .password = kImmichPassword, .client_address = "2.2.2.2"});
  EXPECT_EQ(blocked.status, LoginOutcome::Status::kRateLimited);
  EXPECT_GT(blocked.retry_after_seconds, 0);
  // Another email from the same address still works until the address limit.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(limited.login({.email = "b@example.com", .password = "x", .client_address = "1.1.1.1"})
                  .status,
              LoginOutcome::Status::kBadCredentials);
  }
  EXPECT_EQ(limited.login({.email = "c@example.com", .password = "x", .client_address = "1.1.1.1"})
                .status,
            LoginOutcome::Status::kRateLimited);
}

TEST(LoginRateLimiter, WindowEndsAndSuccessClearsTheEmail) {
  auto now = std::chrono::steady_clock::time_point{};
  LoginRateLimiter limiter({.max_failures_per_address = 100, .max_failures_per_email = 2,
                            .window = std::chrono::seconds(60)},
                           [&] { return now; });
  limiter.record_failure("ip", "A@x");
  limiter.record_failure("ip", "a@x");
  EXPECT_EQ(limiter.retry_after("ip", "a@x"), 60);
  now += std::chrono::seconds(59);
  EXPECT_EQ(limiter.retry_after("ip", "a@x"), 1);
  now += std::chrono::seconds(1);
  EXPECT_EQ(limiter.retry_after("ip", "a@x"), 0);
  limiter.record_failure("ip", "a@x");
  limiter.record_failure("ip", "a@x");
  EXPECT_GT(limiter.retry_after("ip", "a@x"), 0);
  limiter.record_success("a@x");
  EXPECT_EQ(limiter.retry_after("ip", "a@x"), 0);
}

}  // namespace
}  // namespace keepsake::auth
