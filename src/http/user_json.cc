#include "http/user_json.h"

namespace keepsake::http {
namespace {

nlohmann::json nullable(const std::string& value) {
  return value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
}

}  // namespace

nlohmann::json user_admin_json(const auth::UserRecord& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"profileImagePath", u.profile_image_path},
          {"avatarColor", u.avatar_color.empty() ? "primary" : u.avatar_color},
          {"profileChangedAt", u.profile_changed_at},
          {"storageLabel", nullable(u.storage_label)},
          {"shouldChangePassword", u.should_change_password},
          {"isAdmin", u.is_admin},
          {"createdAt", u.created_at},
          {"updatedAt", u.updated_at},
          {"deletedAt", nullptr},
          {"oauthId", u.oauth_id},
          {"quotaSizeInBytes", u.quota_size_in_bytes ? nlohmann::json(*u.quota_size_in_bytes)
                                                     : nlohmann::json(nullptr)},
          {"quotaUsageInBytes", u.quota_usage_in_bytes},
          {"status", u.status},
          {"license", nullptr}};
}

nlohmann::json api_key_json(const auth::ApiKeyRecord& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"createdAt", k.created_at},
          {"updatedAt", k.updated_at},
          {"permissions", k.permissions}};
}

}  // namespace keepsake::http
