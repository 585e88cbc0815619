#include "http/user_json.h"

#include <array>
#include <cstdint>
#include <vector>

namespace keepsake::http {
namespace {

nlohmann::json nullable(const std::string& value) {
  return value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
}

// The Unicode code points of UTF-8 text; a byte that starts no valid sequence counts as U+FFFD,
// as a JavaScript UTF-8 decoder would read it.
std::vector<uint32_t> code_points(const std::string& text) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    uint32_t cp = length == 1 ? byte : length == 2 ? byte & 0x1F : length == 3 ? byte & 0x0F : byte & 0x07;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3F);
    }
    out.push_back(valid ? cp : 0xFFFD);
    i += valid ? length : 1;
  }
  return out;
}

}  // namespace

// Immich v2.7.5, server/src/dtos/user.dto.ts `emailToAvatarColor`: the sum of the e-mail's
// Unicode code points (`[...email].map((letter) => letter.codePointAt(0))`) modulo the number of
// UserAvatarColor values, indexing the enum in its declared order (server/src/enum.ts; the same
// order as spec §1.2 lists for user.avatarColor). Read through the code search of Immich's public
// repository.
std::string default_avatar_color(const std::string& email) {
  static const std::array<const char*, 10> kUserAvatarColor = {
      "primary", "pink", "red", "yellow", "blue", "green", "purple", "orange", "gray", "amber"};
  uint64_t sum = 0;
  for (uint32_t cp : code_points(email)) sum += cp;
  return kUserAvatarColor[sum % kUserAvatarColor.size()];
}

nlohmann::json user_admin_json(const auth::UserRecord& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"profileImagePath", u.profile_image_path},
          {"avatarColor", u.avatar_color.empty() ? default_avatar_color(u.email) : u.avatar_color},
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
