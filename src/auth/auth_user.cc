#include "auth/auth_user.h"

#include <algorithm>

namespace keepsake::auth {

bool AuthUser::has_permission(std::string_view name) const {
  return std::any_of(permissions.begin(), permissions.end(),
                     [&](const std::string& p) { return p == permission::kAll || p == name; });
}

}  // namespace keepsake::auth
