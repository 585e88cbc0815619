#include "restore/database_swap.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <set>
#include <thread>

#include "common/error.h"

namespace keepsake::restore {
namespace {

constexpr size_t kMaxIdentifier = 63;
constexpr const char* kScratchInfix = "_restore_";
constexpr const char* kPreviousInfix = "_before_restore_";
constexpr int kSwapAttempts = 6;

std::string with_suffix(const std::string& live, const std::string& suffix) {
  std::string base = live.substr(0, kMaxIdentifier - std::min(kMaxIdentifier, suffix.size()));
  return base + suffix;
}

std::string quote(const std::string& name) { return db::quote_ident(name); }

}  // namespace

RestoreNames restore_names(const std::string& live, std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
  return {live, with_suffix(live, kScratchInfix + std::string(stamp)),
          with_suffix(live, kPreviousInfix + std::string(stamp)), stamp};
}

std::optional<std::chrono::system_clock::time_point> parse_stamp(const std::string& stamp) {
  std::tm tm{};
  if (stamp.size() != 15 || stamp[8] != 'T') return std::nullopt;
  const char* end = strptime(stamp.c_str(), "%Y%m%dT%H%M%S", &tm);
  if (!end || *end) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::unique_ptr<db::Connection> open_admin_connection(const DatabaseConfig& live) {
  std::string last;
  for (const char* name : {"postgres", "template1"}) {
    DatabaseConfig c = live;
    c.dbname = name;
    try {
      return db::Connection::open(c);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kUnauthorized) throw;
      last = e.what();
    }
  }
  throw Error(ErrorKind::kUnavailable, "cannot connect to the postgres or template1 database: " + last,
              "a restore beside the live database needs one of them");
}

std::string SwapCapabilities::why_not() const {
  if (!uncreatable_extensions.empty()) {
    std::string names;
    for (auto& e : uncreatable_extensions) names += (names.empty() ? "" : ", ") + e;
    return "this role cannot create the extension(s) " + names + " in a new database (only a superuser can)";
  }
  if (!superuser && !createdb) return "this role may not create databases (CREATEDB)";
  if (!superuser && !owns_live) return "this role does not own the live database, so it may not rename it";
  return "";
}

SwapCapabilities read_swap_capabilities(db::Connection& admin, const std::string& live,
                                        const std::vector<std::string>& extensions) {
  SwapCapabilities c;
  auto r = admin.exec(
      "SELECT r.rolsuper, r.rolcreatedb, "
      "       coalesce((SELECT d.datdba = r.oid FROM pg_database d WHERE d.datname = $1), false) "
      "FROM pg_roles r WHERE r.rolname = current_user",
      {live}, "read what this role may do");
  c.superuser = r.boolean(0, 0);
  c.createdb = r.boolean(0, 1);
  c.owns_live = r.boolean(0, 2);
  if (c.superuser) return c;
  for (auto& ext : extensions) {
    auto t = admin.exec("SELECT coalesce(bool_or(trusted), false) FROM pg_available_extension_versions WHERE name = $1",
                        {ext}, "check whether an extension is trusted");
    if (!t.boolean(0, 0)) c.uncreatable_extensions.push_back(ext);
  }
  return c;
}

void create_scratch_database(db::Connection& admin, const std::string& live, const std::string& scratch) {
  bool pg15 = admin.server_version_num() < 170000;
  auto r = admin.exec(std::string("SELECT pg_encoding_to_char(encoding), datcollate, datctype, datlocprovider, ") +
                          (pg15 ? "daticulocale" : "datlocale") +
                          ", pg_get_userbyid(datdba), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                          "FROM pg_database WHERE datname = $1",
                      {live}, "read the live database's encoding and locale");
  if (r.empty()) throw Error(ErrorKind::kNotFound, "the live database " + live + " does not exist");
  std::string sql = "CREATE DATABASE " + quote(scratch) + " TEMPLATE template0 ENCODING " +
                    db::quote_literal(r.text(0, 0)) + " LC_COLLATE " + db::quote_literal(r.text(0, 1)) +
                    " LC_CTYPE " + db::quote_literal(r.text(0, 2));
  if (r.text(0, 3) == "i") {
    sql += " LOCALE_PROVIDER icu " + std::string(pg15 ? "ICU_LOCALE " : "LOCALE ") + db::quote_literal(r.text(0, 4));
  }
  if (r.boolean(0, 6)) sql += " OWNER " + quote(r.text(0, 5));
  admin.exec(sql, {}, "create the scratch database " + scratch);
}

void copy_database_settings(db::Connection& admin, const std::string& from, const std::string& to) {
  auto r = admin.exec(
      "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
      "WHERE d.datname = $1 AND s.setrole = 0",
      {from}, "read the live database's settings");
  for (int i = 0; i < r.rows(); ++i) {
    std::string setting = r.text(i, 0);
    auto eq = setting.find('=');
    if (eq == std::string::npos) continue;
    std::string name = setting.substr(0, eq), value = setting.substr(eq + 1);
    if (name == "default_transaction_read_only") continue;  // a write fence's, never the restored database's
    // The stored text is PostgreSQL's own flattened form: list settings (search_path, ...) hold
    // already-quoted elements and go back as they are; every other value is one literal.
    static const std::set<std::string> kListSettings = {"search_path", "temp_tablespaces",
                                                        "session_preload_libraries", "local_preload_libraries"};
    std::string sql_value = kListSettings.count(name) ? value : db::quote_literal(value);
    admin.exec("ALTER DATABASE " + quote(to) + " SET " + quote(name) + " TO " + sql_value, {},
               "copy the database setting " + name);
  }
}

void drop_restore_database(db::Connection& admin, const std::string& live, const std::string& name) {
  if (name == live) throw Error(ErrorKind::kInternal, "refusing to drop the live database " + live);
  admin.exec("DROP DATABASE IF EXISTS " + quote(name) + " WITH (FORCE)", {}, "drop the database " + name);
}

void swap_databases(db::Connection& admin, const RestoreNames& n) {
  const char* terminate =
      "SELECT count(*) FILTER (WHERE NOT pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE datname IN ($1, $2) AND pid <> pg_backend_pid() "
      "  AND ((SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(usesysid, 'MEMBER'))";
  for (int attempt = 1;; ++attempt) {
    try {
      db::Transaction tx(admin);
      tx.exec(terminate, {n.live, n.scratch}, "stop the sessions of the live and scratch databases");
      tx.exec("ALTER DATABASE " + quote(n.live) + " RENAME TO " + quote(n.previous), {},
              "rename the live database aside");
      tx.exec("ALTER DATABASE " + quote(n.scratch) + " RENAME TO " + quote(n.live), {},
              "put the restored database in its place");
      tx.commit();
      return;
    } catch (const Error& e) {
      if (e.sqlstate() != "55006" || attempt == kSwapAttempts) {
        if (e.sqlstate() == "55006") {
          auto who = admin.exec("SELECT string_agg(DISTINCT coalesce(usename, '?') || '@' || coalesce(application_name, ''), ', ') "
                                "FROM pg_stat_activity WHERE datname IN ($1, $2)",
                                {n.live, n.scratch});
          throw Error(ErrorKind::kConflict,
                      "the live database stayed in use by sessions Keepsake may not stop (" + who.text(0, 0) + ")",
                      "stop those clients (or restore as a role that may stop them) and retry; nothing was changed");
        }
        throw;
      }
      spdlog::warn("Restore swap: the databases are still in use, retrying ({}/{})", attempt, kSwapAttempts);
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    }
  }
}

std::vector<RestoreDatabase> find_restore_databases(db::Connection& admin, const std::string& live) {
  auto r = admin.exec(
      "SELECT d.datname, (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname "
      "                   AND a.backend_type IS DISTINCT FROM 'autovacuum worker') "
      "FROM pg_database d WHERE d.datname <> $1 ORDER BY d.datname",
      {live}, "list the restore databases");
  std::vector<RestoreDatabase> out;
  for (int i = 0; i < r.rows(); ++i) {
    std::string name = r.text(i, 0);
    for (bool scratch : {true, false}) {
      RestoreNames probe = restore_names(live, std::chrono::system_clock::from_time_t(0));
      std::string prefix = (scratch ? probe.scratch : probe.previous);
      prefix = prefix.substr(0, prefix.size() - probe.stamp.size());
      if (name.size() != prefix.size() + 15 || name.compare(0, prefix.size(), prefix) != 0) continue;
      std::string stamp = name.substr(prefix.size());
      auto when = parse_stamp(stamp);
      if (!when) continue;
      out.push_back({name, scratch, stamp, static_cast<int>(r.int64(i, 1)), when});
    }
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.stamp < b.stamp; });
  return out;
}

}  // namespace keepsake::restore
