// The vector extension lifecycle of spec §3.2–3.4: which extension serves embeddings (vchord,
// vectors, vector, or Keepsake's built-in index when none is available), its supported version
// ranges, creating / updating it, refusing nightlies and downgrades, and dropping the unused ones.
// Beyond Immich it checks shared_preload_libraries and privileges before acting, and every error
// names the exact SQL or postgresql.conf line an administrator must apply.
// Must never change the database in the read-only checks (doctor) and never build SQL from input.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"

namespace keepsake::vector {

enum class Extension { kVchord, kVectors, kVector, kBuiltin };

// SQL name: "vchord", "vectors", "vector"; "builtin" for the built-in index.
std::string extension_sql_name(Extension ext);
// Immich's EXTENSION_NAMES: "VectorChord", "pgvecto.rs", "pgvector"; "built-in" for builtin.
std::string extension_display_name(Extension ext);
// The spec's version range text (">=0.3 <2", ">=0.2 <0.4", ">=0.5 <1").
std::string extension_version_range(Extension ext);
std::optional<Extension> extension_from_sql_name(const std::string& name);
// The library shared_preload_libraries must list for the extension ("vchord", "vectors"), if any.
std::optional<std::string> required_preload_library(Extension ext);

// The preference order of auto-detection: vchord, vectors, vector.
const std::vector<Extension>& vector_extension_preference();

// A semver version coerced from an extension version string ("0.8.0", "0.4.3", "1.0").
struct SemVer {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const SemVer&) const = default;
};
SemVer parse_semver(const std::string& text);
bool version_in_range(Extension ext, const SemVer& v);

struct ExtensionVersions {
  std::string name;
  std::optional<std::string> available;  // default_version
  std::optional<std::string> installed;  // installed_version
};

// Reads pg_available_extensions for vchord, vectors and vector.
std::vector<ExtensionVersions> read_vector_extension_versions(db::Connection& conn);

// §3.2: DB_VECTOR_EXTENSION (config.vector_extension, already mapped to SQL names) wins;
// otherwise the first available of vchord → vectors → vector; none → built-in.
Extension select_vector_extension(db::Connection& conn, const Config& config);

enum class ExtensionAction { kNone, kCreate, kUpdate };

// §3.3 step 3 as a pure decision. Throws Error with Immich's meaning (not installed, nightly,
// out of range, invalid downgrade) and the SQL to fix it.
ExtensionAction plan_extension_action(Extension ext, const ExtensionVersions& versions);

// What the role and server allow before acting.
struct ExtensionPermissions {
  bool superuser = false;
  bool can_create_in_database = false;  // CREATE privilege on the current database
  bool trusted = false;                 // the extension's default version is trusted
  bool owns_installed = false;          // current user owns the installed extension
  std::optional<std::string> preload_libraries;  // nullopt when the role may not read it
};
ExtensionPermissions read_extension_permissions(db::Connection& conn, Extension ext);

// A problem found before acting: the reason plus what a superuser / administrator must do.
struct Finding {
  enum class Level { kOk, kWarning, kError } level = Level::kOk;
  std::string message;
};

// Checks that the extension can be created or updated by this role and is preloaded when it must
// be. Read-only. An empty result means nothing stands in the way.
std::vector<Finding> check_extension_prerequisites(Extension ext, ExtensionAction action,
                                                   const ExtensionPermissions& perms,
                                                   const std::string& database);

// The statements a superuser must run to create the extension for this database.
std::string superuser_create_statements(Extension ext, const std::string& database);

struct ExtensionSetupResult {
  Extension extension = Extension::kBuiltin;
  ExtensionAction action = ExtensionAction::kNone;
  bool restart_required = false;
  std::vector<std::string> dropped;  // other vector extensions dropped
  std::vector<std::string> warnings;
};

// §3.3 steps 2.1–2.3 and 2.5 (the caller holds lock Migrations and runs the reindex check, 2.4,
// between ensure_vector_extension and drop_unused_vector_extensions).
ExtensionSetupResult ensure_vector_extension(db::Connection& conn, Extension ext);
// §3.4: drops the vector indexes, ALTER EXTENSION ... UPDATE TO, pgvectors_upgrade for vectors.
bool update_vector_extension(db::Connection& conn, Extension ext, const std::string& target);
// §3.3 step 2.5: drops every other installed vector extension (not vector under vchord).
// Failures are warnings, returned in result.warnings.
void drop_unused_vector_extensions(db::Connection& conn, ExtensionSetupResult& result);
// §3.3 step 2.7: SELECT vchordrq_prewarm for both indexes (vchord only).
void prewarm_vector_indexes(db::Connection& conn, Extension ext);

}  // namespace keepsake::vector
