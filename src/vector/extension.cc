#include "vector/extension.h"

#include <regex>

#include "common/error.h"
#include "common/log.h"

namespace keepsake::vector {
namespace {

constexpr const char* kQueryDocs = "See https://docs.immich.app/guides/database-queries";

struct Range {
  SemVer min;
  SemVer max_exclusive;
};

Range range_of(Extension ext) {
  switch (ext) {
    case Extension::kVchord: return {{0, 3, 0}, {2, 0, 0}};
    case Extension::kVectors: return {{0, 2, 0}, {0, 4, 0}};
    case Extension::kVector: return {{0, 5, 0}, {1, 0, 0}};
    case Extension::kBuiltin: break;
  }
  return {{0, 0, 0}, {0, 0, 0}};
}

bool is_nightly(const std::optional<std::string>& v) {
  return v && parse_semver(*v) == SemVer{0, 0, 0};
}

std::string other_extension_names(Extension ext) {
  std::string out;
  for (Extension e : vector_extension_preference()) {
    if (e == ext) continue;
    if (!out.empty()) out += ", ";
    out += extension_sql_name(e);
  }
  return out;
}

bool lists_library(const std::string& preload, const std::string& lib) {
  static const std::regex kSep(R"(\s*,\s*)");
  std::sregex_token_iterator it(preload.begin(), preload.end(), kSep, -1), end;
  for (; it != end; ++it) {
    std::string item = *it;
    item.erase(0, item.find_first_not_of(" \"'"));
    item.erase(item.find_last_not_of(" \"'") + 1);
    if (item == lib || item == lib + ".so") return true;
  }
  return false;
}

std::string preload_advice(const std::string& preload, const std::string& lib) {
  std::string value = preload.empty() ? lib : preload + ", " + lib;
  return "add this line to postgresql.conf (or run ALTER SYSTEM SET shared_preload_libraries = '" +
         value + "'; as a superuser) and restart PostgreSQL: shared_preload_libraries = '" + value +
         "'";
}

}  // namespace

std::string extension_sql_name(Extension ext) {
  switch (ext) {
    case Extension::kVchord: return "vchord";
    case Extension::kVectors: return "vectors";
    case Extension::kVector: return "vector";
    case Extension::kBuiltin: return "builtin";
  }
  return "builtin";
}

std::string extension_display_name(Extension ext) {
  switch (ext) {
    case Extension::kVchord: return "VectorChord";
    case Extension::kVectors: return "pgvecto.rs";
    case Extension::kVector: return "pgvector";
    case Extension::kBuiltin: return "built-in";
  }
  return "built-in";
}

std::string extension_version_range(Extension ext) {
  switch (ext) {
    case Extension::kVchord: return ">=0.3 <2";
    case Extension::kVectors: return ">=0.2 <0.4";
    case Extension::kVector: return ">=0.5 <1";
    case Extension::kBuiltin: break;
  }
  return "*";
}

std::optional<Extension> extension_from_sql_name(const std::string& name) {
  if (name == "vchord") return Extension::kVchord;
  if (name == "vectors") return Extension::kVectors;
  if (name == "vector") return Extension::kVector;
  if (name == "builtin") return Extension::kBuiltin;
  return std::nullopt;
}

std::optional<std::string> required_preload_library(Extension ext) {
  if (ext == Extension::kVchord) return "vchord";
  if (ext == Extension::kVectors) return "vectors";
  return std::nullopt;
}

const std::vector<Extension>& vector_extension_preference() {
  static const std::vector<Extension> kOrder = {Extension::kVchord, Extension::kVectors,
                                                Extension::kVector};
  return kOrder;
}

SemVer parse_semver(const std::string& text) {
  static const std::regex kVersion(R"((\d+)(?:\.(\d+))?(?:\.(\d+))?)");
  std::smatch m;
  SemVer v;
  if (std::regex_search(text, m, kVersion)) {
    v.major = std::stoi(m[1]);
    v.minor = m[2].matched ? std::stoi(m[2]) : 0;
    v.patch = m[3].matched ? std::stoi(m[3]) : 0;
  }
  return v;
}

bool version_in_range(Extension ext, const SemVer& v) {
  Range r = range_of(ext);
  return v >= r.min && v < r.max_exclusive;
}

std::vector<ExtensionVersions> read_vector_extension_versions(db::Connection& conn) {
  auto r = conn.exec(
      "SELECT name, default_version AS \"availableVersion\", "
      "installed_version AS \"installedVersion\" FROM pg_available_extensions "
      "WHERE name IN ('vchord', 'vectors', 'vector')",
      {}, "read vector extension versions");
  std::vector<ExtensionVersions> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.opt_text(i, 1), r.opt_text(i, 2)});
  }
  return out;
}

Extension select_vector_extension(db::Connection& conn, const Config& config) {
  if (!config.vector_extension.empty()) {
    if (auto ext = extension_from_sql_name(config.vector_extension)) return *ext;
    throw Error(ErrorKind::kInvalidArgument,
                "DB_VECTOR_EXTENSION has an unknown value '" + config.vector_extension + "'",
                "use one of pgvector, pgvecto.rs, vectorchord or builtin");
  }
  auto available = read_vector_extension_versions(conn);
  for (Extension ext : vector_extension_preference()) {
    for (const auto& v : available) {
      if (v.name == extension_sql_name(ext)) return ext;
    }
  }
  spdlog::info(
      "No vector extension found. Available extensions: vchord, vectors, vector. Using "
      "Keepsake's built-in vector index (set DB_VECTOR_EXTENSION to choose explicitly)");
  return Extension::kBuiltin;
}

ExtensionAction plan_extension_action(Extension ext, const ExtensionVersions& v) {
  if (ext == Extension::kBuiltin) return ExtensionAction::kNone;
  const std::string name = extension_display_name(ext);
  const std::string sql = extension_sql_name(ext);
  const std::string range = extension_version_range(ext);
  if (!v.available) {
    throw Error(ErrorKind::kUnavailable,
                "The " + name + " extension is not available in this Postgres instance.",
                "Install " + name + " on the PostgreSQL server (for a container, use an image "
                "that ships it), or set DB_VECTOR_EXTENSION=builtin to use Keepsake's built-in "
                "index; other choices: " + other_extension_names(ext));
  }
  if (is_nightly(v.available) || is_nightly(v.installed)) {
    throw Error(ErrorKind::kConflict,
                "The " + name + " extension version is 0.0.0, which means it is a nightly release.",
                "Please run 'DROP EXTENSION IF EXISTS " + sql +
                    "' and switch to a release version. " + kQueryDocs +
                    " for how to query the database.");
  }
  auto out_of_range = [&](const std::string& version) {
    return Error(ErrorKind::kConflict,
                 "The " + name + " extension version is " + version +
                     ", but Immich only supports " + range + ".",
                 "Please change " + name + " to a compatible version in the Postgres instance, "
                 "then run 'ALTER EXTENSION " + sql + " UPDATE' as a superuser.");
  };
  SemVer available = parse_semver(*v.available);
  if (!version_in_range(ext, available)) throw out_of_range(*v.available);
  if (!v.installed) return ExtensionAction::kCreate;
  SemVer installed = parse_semver(*v.installed);
  if (available > installed) return ExtensionAction::kUpdate;
  if (!version_in_range(ext, installed)) throw out_of_range(*v.installed);
  if (available < installed) {
    throw Error(ErrorKind::kConflict,
                "The database currently has " + name + " " + *v.installed +
                    " activated, but the Postgres instance only has " + *v.available +
                    " available. This most likely means the extension was downgraded.",
                "If " + name + " " + *v.installed +
                    " is compatible with Immich, please ensure the Postgres instance has this "
                    "version available.");
  }
  return ExtensionAction::kNone;
}

ExtensionPermissions read_extension_permissions(db::Connection& conn, Extension ext) {
  ExtensionPermissions p;
  auto r = conn.exec(
      "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
      "has_database_privilege(current_database(), 'CREATE'), "
      "coalesce((SELECT v.trusted FROM pg_available_extension_versions v "
      "  JOIN pg_available_extensions a ON a.name = v.name AND a.default_version = v.version "
      "  WHERE v.name = $1), false), "
      "coalesce((SELECT e.extowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
      "  FROM pg_extension e WHERE e.extname = $1), false), "
      "(SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries')",
      {extension_sql_name(ext)}, "read extension privileges");
  p.superuser = r.boolean(0, 0);
  p.can_create_in_database = r.boolean(0, 1);
  p.trusted = r.boolean(0, 2);
  p.owns_installed = r.boolean(0, 3);
  p.preload_libraries = r.opt_text(0, 4);
  return p;
}

std::string superuser_create_statements(Extension ext, const std::string& database) {
  std::string s = "CREATE EXTENSION IF NOT EXISTS " + extension_sql_name(ext) + " CASCADE;";
  if (ext == Extension::kVchord) {
    s += " ALTER DATABASE " + db::quote_ident(database) + " SET vchordrq.probes = 1;";
  }
  return s;
}

std::vector<Finding> check_extension_prerequisites(Extension ext, ExtensionAction action,
                                                   const ExtensionPermissions& perms,
                                                   const std::string& database) {
  std::vector<Finding> out;
  if (ext == Extension::kBuiltin || action == ExtensionAction::kNone) return out;
  const std::string name = extension_display_name(ext);
  auto lib = required_preload_library(ext);
  if (lib && !perms.preload_libraries) {
    out.push_back({Finding::Level::kWarning,
                   name + " must be loaded at server start, and this role may not read "
                   "shared_preload_libraries: make sure postgresql.conf lists '" + *lib +
                   "' in shared_preload_libraries (then restart PostgreSQL)"});
  } else if (lib && !lists_library(*perms.preload_libraries, *lib)) {
    out.push_back({Finding::Level::kError,
                   name + " must be loaded at server start, but shared_preload_libraries is '" +
                       *perms.preload_libraries + "': " +
                       preload_advice(*perms.preload_libraries, *lib)});
  }
  if (action == ExtensionAction::kCreate) {
    bool can = perms.superuser || (perms.trusted && perms.can_create_in_database);
    if (!can) {
      out.push_back({Finding::Level::kError,
                     "The database role cannot create the " + name +
                         " extension (it is not a superuser" +
                         (perms.trusted ? std::string(" and lacks CREATE on the database")
                                        : std::string(" and the extension is not trusted")) +
                         "). Ask a superuser to run, connected to database " +
                         db::quote_ident(database) + ": " +
                         superuser_create_statements(ext, database)});
    }
  } else if (action == ExtensionAction::kUpdate && !perms.superuser && !perms.owns_installed) {
    out.push_back({Finding::Level::kError,
                   "The database role cannot update the " + name +
                       " extension (it neither owns it nor is a superuser). Ask a superuser to "
                       "run, connected to database " + db::quote_ident(database) +
                       ": DROP INDEX IF EXISTS clip_index; DROP INDEX IF EXISTS face_index; "
                       "ALTER EXTENSION " + extension_sql_name(ext) + " UPDATE;"});
  }
  return out;
}

namespace {

ExtensionVersions versions_of(db::Connection& conn, Extension ext) {
  for (auto& v : read_vector_extension_versions(conn)) {
    if (v.name == extension_sql_name(ext)) return v;
  }
  return {extension_sql_name(ext), std::nullopt, std::nullopt};
}

void throw_on_errors(const std::vector<Finding>& findings) {
  std::string msg;
  for (const auto& f : findings) {
    if (f.level != Finding::Level::kError) continue;
    if (!msg.empty()) msg += " Also: ";
    msg += f.message;
  }
  if (!msg.empty()) throw Error(ErrorKind::kForbidden, msg);
}

void create_extension(db::Connection& conn, Extension ext) {
  const std::string name = extension_display_name(ext);
  const std::string sql = extension_sql_name(ext);
  spdlog::info("Creating {} extension", name);
  try {
    conn.exec("CREATE EXTENSION IF NOT EXISTS " + db::quote_ident(sql) + " CASCADE", {},
              "create the " + name + " extension");
    if (ext == Extension::kVchord) {
      auto db = conn.exec("SELECT current_database()").text(0, 0);
      conn.exec("ALTER DATABASE " + db::quote_ident(db) + " SET vchordrq.probes = 1");
      conn.exec("SET vchordrq.probes = 1");
    }
  } catch (const Error& e) {
    auto db = conn.exec("SELECT current_database()").text(0, 0);
    spdlog::critical("Failed to activate {} extension: {}", name, e.what());
    throw Error(ErrorKind::kDatabase, "Failed to activate " + name + " extension: " + e.what(),
                "Ask a superuser to run, connected to database " + db::quote_ident(db) + ": " +
                    superuser_create_statements(ext, db) +
                    " Alternatively, if the Postgres instance has any of " +
                    other_extension_names(ext) +
                    ", set DB_VECTOR_EXTENSION to one of them (switching extensions is not "
                    "supported and may lose data).",
                e.sqlstate());
  }
}

}  // namespace

bool update_vector_extension(db::Connection& conn, Extension ext, const std::string& target) {
  auto before = versions_of(conn, ext);
  if (!before.installed || !before.available) {
    throw Error(ErrorKind::kUnavailable, "Cannot update the " + extension_display_name(ext) +
                                             " extension: it is not installed or not available");
  }
  SemVer from = parse_semver(*before.installed), to = parse_semver(target);
  if (from == to) return false;
  conn.exec("DROP INDEX IF EXISTS clip_index");
  conn.exec("DROP INDEX IF EXISTS face_index");
  bool restart = false;
  db::Transaction tx(conn);
  tx.exec("SET LOCAL search_path TO \"$user\", public, vectors");
  tx.exec("ALTER EXTENSION " + db::quote_ident(extension_sql_name(ext)) + " UPDATE TO " +
              db::quote_literal(target),
          {}, "update the " + extension_display_name(ext) + " extension");
  if (ext == Extension::kVectors && (from.major != to.major || from.minor != to.minor)) {
    tx.exec("SELECT pgvectors_upgrade()");
    restart = true;
  }
  tx.commit();
  return restart;
}

ExtensionSetupResult ensure_vector_extension(db::Connection& conn, Extension ext) {
  ExtensionSetupResult result;
  result.extension = ext;
  if (ext == Extension::kBuiltin) return result;
  if (ext == Extension::kVectors) {
    spdlog::warn(
        "DEPRECATION WARNING: pgvecto.rs support will be removed in a future release. Please "
        "migrate to VectorChord: https://docs.immich.app/install/upgrading#migrating-to-vectorchord");
  }
  auto versions = versions_of(conn, ext);
  result.action = plan_extension_action(ext, versions);
  if (result.action == ExtensionAction::kNone) return result;
  auto db = conn.exec("SELECT current_database()").text(0, 0);
  throw_on_errors(check_extension_prerequisites(ext, result.action,
                                                read_extension_permissions(conn, ext), db));
  if (result.action == ExtensionAction::kCreate) {
    create_extension(conn, ext);
    return result;
  }
  const std::string name = extension_display_name(ext);
  spdlog::info("Updating {} extension to {}", name, *versions.available);
  try {
    result.restart_required = update_vector_extension(conn, ext, *versions.available);
  } catch (const Error& e) {
    std::string w = "The " + name + " extension can be updated to " + *versions.available +
                    ", but the update failed: " + e.what() + ". Please run 'ALTER EXTENSION " +
                    extension_sql_name(ext) + " UPDATE' manually as a superuser.";
    spdlog::warn("{}", w);
    throw;
  }
  if (result.restart_required) {
    std::string w = "The " + name + " extension has been updated to " + *versions.available +
                    ". Please restart the Postgres instance to complete the update.";
    spdlog::warn("{}", w);
    result.warnings.push_back(w);
  }
  return result;
}

void drop_unused_vector_extensions(db::Connection& conn, ExtensionSetupResult& result) {
  for (const auto& v : read_vector_extension_versions(conn)) {
    if (!v.installed) continue;
    auto ext = extension_from_sql_name(v.name);
    if (!ext || *ext == result.extension) continue;
    if (*ext == Extension::kVector && result.extension == Extension::kVchord) continue;
    const std::string name = extension_display_name(*ext);
    spdlog::info("Dropping {} extension", name);
    try {
      conn.exec("DROP EXTENSION IF EXISTS " + db::quote_ident(v.name));
      result.dropped.push_back(v.name);
    } catch (const Error& e) {
      std::string w = "The " + name + " extension is no longer needed, but could not be dropped: " +
                      e.what() + ". Please run 'DROP EXTENSION IF EXISTS " + v.name +
                      ";' manually as a superuser.";
      spdlog::warn("{}", w);
      result.warnings.push_back(w);
    }
  }
}

void prewarm_vector_indexes(db::Connection& conn, Extension ext) {
  if (ext != Extension::kVchord) return;
  for (const char* index : {"clip_index", "face_index"}) {
    conn.exec("SELECT vchordrq_prewarm($1)", {std::string(index)}, "prewarm vector index");
  }
}

}  // namespace keepsake::vector
