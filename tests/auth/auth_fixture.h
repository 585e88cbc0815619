// A fresh database with Immich v2.7.5's full schema (BootstrappedDatabaseTest), a pool and an
// AuthService, plus helpers that insert rows exactly as Immich stores them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/auth_service.h"
#include "db/pool.h"
#include "harness/bootstrapped_database.h"

namespace keepsake::testing {

class AuthDatabaseTest : public BootstrappedDatabaseTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Inserts a user row as Immich does (the hash given as is); returns its id.
  std::string insert_user(const std::string& email, const std::string& bcrypt_hash,
                          bool is_admin = false, const std::string& name = "User");
  // Inserts a session row holding sha256(token), optionally with an expiresAt SQL expression.
  std::string insert_session(const std::string& user_id, const std::string& token,
                             const std::string& expires_at_sql = "NULL");
  // Inserts an api_key row holding sha256(key) with the given permissions.
  std::string insert_api_key(const std::string& user_id, const std::string& key,
                             const std::vector<std::string>& permissions);

  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<auth::AuthService> auth_;
};

}  // namespace keepsake::testing
