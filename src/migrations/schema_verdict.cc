#include "migrations/schema_verdict.h"

#include <algorithm>
#include <ctime>
#include <regex>

#include "migrations/boot.h"
#include "migrations/immich_migrations.h"
#include "schema/immich_schema.h"

namespace keepsake::migrations {
namespace {

std::vector<std::string> names_with(const std::vector<schema::MigrationState>& states,
                                    schema::MigrationStatus status) {
  std::vector<std::string> names;
  for (const auto& s : states) {
    if (s.status == status) names.push_back(s.name);
  }
  return names;
}

// The leading 13-digit millisecond timestamp of an Immich migration name.
std::optional<long long> timestamp_of(const std::string& name) {
  static const std::regex kName(R"(^(\d{13})-.+$)");
  std::smatch m;
  if (!std::regex_match(name, m, kName)) return std::nullopt;
  return std::stoll(m[1].str());
}

std::string utc_date(long long epoch_ms) {
  time_t t = static_cast<time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// Spec §2.1: the migrations that exist only on Immich's main branch after v2.7.5.
bool is_later_main_migration(const std::string& name) {
  static const std::vector<std::string> kLater = {
      "DropAuditTable",       "DropDeviceIdAndDeviceAssetId",    "SetOAuthAllowInsecureRequests",
      "AddOauthSidToSession", "ReconcileSqlToolsUpgradeChanges", "MigrateAlbumOwnerIdToAlbumUser"};
  std::string suffix = name.substr(name.find('-') + 1);
  return std::find(kLater.begin(), kLater.end(), suffix) != kLater.end();
}

}  // namespace

bool SchemaVerdict::ok() const { return schema::all_applied(migrations) && drift.drift.empty(); }

std::vector<std::string> SchemaVerdict::unknown_migrations() const {
  return names_with(migrations, schema::MigrationStatus::kDeleted);
}

std::vector<std::string> SchemaVerdict::missing_migrations() const {
  return names_with(migrations, schema::MigrationStatus::kMissing);
}

schema::Schema declared_schema(const Config& config, db::Connection& conn) {
  auto options = boot_options_from_config(config).schema;
  if (config.vector_extension.empty()) options.vector = schema::installed_vector_flavour(conn);
  return schema::immich_schema(options);
}

SchemaVerdict check_immich_schema(db::Connection& conn, const schema::Schema& declared) {
  return {schema::immich_migration_states(conn, immich_migration_names()),
          schema::check_drift(conn, declared)};
}

std::optional<std::string> release_of(const std::vector<schema::MigrationState>& states) {
  if (states.empty() || !schema::all_applied(states)) return std::nullopt;
  return std::string(kImmichRelease);
}

std::optional<std::string> recorded_immich_release(db::Connection& conn) {
  return release_of(schema::immich_migration_states(conn, immich_migration_names()));
}

std::string probable_release(const std::string& migration_name) {
  auto stamp = timestamp_of(migration_name);
  if (!stamp) return "not an Immich migration (its name does not start with a timestamp)";
  static const long long kLastKnown = *timestamp_of(immich_migration_names().back());
  std::string dated = "migration dated " + utc_date(*stamp);
  if (is_later_main_migration(migration_name)) dated += ", on Immich's main branch after v2.7.5";
  if (*stamp > kLastKnown) return std::string("a release newer than ") + kImmichRelease + " (" + dated + ")";
  return std::string("no release up to ") + kImmichRelease +
         ": a newer release or a development build (" + dated + ", before " + kImmichRelease +
         "'s last migration)";
}

}  // namespace keepsake::migrations
