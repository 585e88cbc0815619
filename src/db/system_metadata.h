// Repository for Immich's system_metadata table (key varchar PK, value jsonb), keyed as in
// spec §7.1. Writes are upserts, as Immich does them. Holds no business rules.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "db/connection.h"

namespace keepsake::db {

// Immich's SystemMetadataKey values.
namespace metadata_key {
inline constexpr const char* kMediaLocation = "MediaLocation";
inline constexpr const char* kReverseGeocodingState = "reverse-geocoding-state";
inline constexpr const char* kFacialRecognitionState = "facial-recognition-state";
inline constexpr const char* kMemoriesState = "memories-state";
inline constexpr const char* kAdminOnboarding = "admin-onboarding";
inline constexpr const char* kMaintenanceMode = "maintenance-mode";
inline constexpr const char* kSystemConfig = "system-config";
inline constexpr const char* kSystemFlags = "system-flags";
inline constexpr const char* kVersionCheckState = "version-check-state";
inline constexpr const char* kLicense = "license";
// Keepsake's own key (config/keepsake_settings.h); Immich ignores keys it does not know.
inline constexpr const char* kKeepsakeConfig = "keepsake-config";
}  // namespace metadata_key

class SystemMetadataRepository {
 public:
  explicit SystemMetadataRepository(Connection& conn) : conn_(conn) {}

  std::optional<nlohmann::json> get(const std::string& key);
  void upsert(const std::string& key, const nlohmann::json& value);
  void remove(const std::string& key);

  template <typename T>
  std::optional<T> get_as(const std::string& key) {
    auto v = get(key);
    if (!v) return std::nullopt;
    return v->get<T>();
  }

 private:
  Connection& conn_;
};

}  // namespace keepsake::db
