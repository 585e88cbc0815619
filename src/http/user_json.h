// Immich's JSON shapes for users and API keys (UserAdminResponseDto, LoginResponseDto,
// APIKeyResponseDto). Never includes a password hash, token digest or key digest.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "auth/api_key_repository.h"
#include "auth/user_repository.h"

namespace keepsake::http {

// The colour Immich answers when user.avatarColor is NULL, derived from the e-mail address.
std::string default_avatar_color(const std::string& email);

nlohmann::json user_admin_json(const auth::UserRecord& user);
nlohmann::json api_key_json(const auth::ApiKeyRecord& key);

}  // namespace keepsake::http
