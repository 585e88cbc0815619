#include "auth/user_repository.h"

#include "common/error.h"

namespace keepsake::auth {
namespace {

constexpr const char* kColumns = R"(id::text, email, name, password, "isAdmin",
  "profileImagePath", "shouldChangePassword", COALESCE("avatarColor", ''),
  to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  to_char("updatedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  to_char("profileChangedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  COALESCE("storageLabel", ''), "oauthId", status, "quotaSizeInBytes", "quotaUsageInBytes")";

UserRecord read_user(const db::Result& r, int row) {
  UserRecord u;
  u.id = r.text(row, 0);
  u.email = r.text(row, 1);
  u.name = r.text(row, 2);
  u.password_hash = r.text(row, 3);
  u.is_admin = r.boolean(row, 4);
  u.profile_image_path = r.text(row, 5);
  u.should_change_password = r.boolean(row, 6);
  u.avatar_color = r.text(row, 7);
  u.created_at = r.text(row, 8);
  u.updated_at = r.text(row, 9);
  u.profile_changed_at = r.text(row, 10);
  u.storage_label = r.text(row, 11);
  u.oauth_id = r.text(row, 12);
  u.status = r.text(row, 13);
  if (!r.is_null(row, 14)) u.quota_size_in_bytes = r.int64(row, 14);
  u.quota_usage_in_bytes = r.int64(row, 15);
  return u;
}

}  // namespace

std::optional<UserRecord> UserRepository::find_one(const std::string& where,
                                                   const db::Params& params) {
  auto r = conn_.exec(std::string("SELECT ") + kColumns + R"( FROM "user" WHERE )" + where +
                          R"( AND "deletedAt" IS NULL LIMIT 1)",
                      params, "read user");
  if (r.empty()) return std::nullopt;
  return read_user(r, 0);
}

std::optional<UserRecord> UserRepository::find_by_email(const std::string& email) {
  return find_one("lower(email) = lower($1)", {email});
}

std::optional<UserRecord> UserRepository::find_by_id(const std::string& id) {
  return find_one("id::text = $1", {id});
}

std::optional<UserRecord> UserRepository::find_admin() {
  return find_one(R"("isAdmin")", {});
}

bool UserRepository::admin_exists() {
  auto exists = conn_.exec("SELECT to_regclass('public.\"user\"') IS NOT NULL", {}, "find user table");
  if (!exists.boolean(0, 0)) return false;
  return find_admin().has_value();
}

bool UserRepository::is_onboarded(const std::string& id) {
  auto r = conn_.exec(R"(SELECT to_regclass('public.user_metadata') IS NOT NULL)", {},
                      "find user_metadata");
  if (!r.boolean(0, 0)) return false;
  r = conn_.exec(R"(SELECT COALESCE((value->>'isOnboarded')::boolean, false) FROM user_metadata
                    WHERE "userId"::text = $1 AND key = 'onboarding')",
                 {id}, "read onboarding");
  return !r.empty() && r.boolean(0, 0);
}

UserRecord UserRepository::create(const NewUser& user) {
  try {
    auto r = conn_.exec(std::string(R"(INSERT INTO "user" (email, name, password, "isAdmin",
        "shouldChangePassword", "storageLabel") VALUES (lower($1), $2, $3, $4, $5, $6)
        RETURNING )") + kColumns,
                        {user.email, user.name, user.password_hash, user.is_admin ? "true" : "false",
                         user.should_change_password ? "true" : "false",
                         user.storage_label.empty() ? db::Param{} : db::Param{user.storage_label}},
                        "create user");
    return read_user(r, 0);
  } catch (const Error& e) {
    if (e.sqlstate() == "23505") {
      throw Error(ErrorKind::kConflict, "User exists", "a user with this email already exists");
    }
    throw;
  }
}

bool UserRepository::set_password(const std::string& id, const std::string& password_hash,
                                  bool should_change_password) {
  auto r = conn_.exec(R"(UPDATE "user" SET password = $2, "shouldChangePassword" = $3
                         WHERE id::text = $1 AND "deletedAt" IS NULL)",
                      {id, password_hash, should_change_password ? "true" : "false"},
                      "change password");
  return r.affected() > 0;
}

}  // namespace keepsake::auth
