// Immich's JSON shapes for users and API keys (UserAdminResponseDto, LoginResponseDto,
// APIKeyResponseDto). Never includes a password hash, token digest or key digest.
#pragma once

#include <nlohmann/json.hpp>

#include "auth/api_key_repository.h"
#include "auth/user_repository.h"

namespace keepsake::http {

nlohmann::json user_admin_json(const auth::UserRecord& user);
nlohmann::json api_key_json(const auth::ApiKeyRecord& key);

}  // namespace keepsake::http
