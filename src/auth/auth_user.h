// Who is making a request, once authenticated, and the credentials a request presented.
// Plain data shared by the auth services and the HTTP layer. Never logged: Credentials hold
// secrets (session tokens, API keys).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace keepsake::auth {

// Immich's permission names used by Keepsake's routes (api_key.permissions holds such names).
namespace permission {
inline constexpr std::string_view kAll = "all";
inline constexpr std::string_view kBackupDownload = "backup.download";
inline constexpr std::string_view kBackupUpload = "backup.upload";
inline constexpr std::string_view kBackupDelete = "backup.delete";
inline constexpr std::string_view kMaintenance = "maintenance";
inline constexpr std::string_view kApiKeyCreate = "apiKey.create";
inline constexpr std::string_view kApiKeyRead = "apiKey.read";
inline constexpr std::string_view kApiKeyDelete = "apiKey.delete";
inline constexpr std::string_view kUserRead = "user.read";
}  // namespace permission

struct AuthUser {
  std::string id;
  std::string email;
  std::string name;
  bool is_admin = false;
  std::string session_id;  // set when authenticated by a session token
  std::string api_key_id;  // set when authenticated by an API key
  // Granted permissions: an API key's list; a session holds every permission ("all").
  std::vector<std::string> permissions;

  bool by_api_key() const { return !api_key_id.empty(); }
  // True when `name` (or "all") is granted.
  bool has_permission(std::string_view name) const;
};

// What a request presented. Secret values: never log them.
struct Credentials {
  std::string session_token;  // from "Authorization: Bearer" or the immich_access_token cookie
  std::string api_key;        // from the x-api-key header
  bool empty() const { return session_token.empty() && api_key.empty(); }
};

}  // namespace keepsake::auth
