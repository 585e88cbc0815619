#include "db/write_fence.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.h"
#include "db/database_clients.h"

namespace keepsake::db {
namespace {

std::atomic<int> fences_held{0};

using nlohmann::json;

// Other client sessions of $1 that this role may end: not its own, and not a superuser's unless
// it is one; the same role, a role it has the privileges of, or pg_signal_backend.
constexpr const char* kOtherSessions =
    "FROM pg_stat_activity a LEFT JOIN pg_roles t ON t.oid = a.usesysid "
    "WHERE a.datname = $1 AND a.pid <> pg_backend_pid() "
    "  AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL)) "
    "  AND a.pid <> ALL($2::int[]) ";
constexpr const char* kMayEnd =
    "((SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
    " OR (NOT coalesce(t.rolsuper, false) AND (coalesce(pg_has_role(a.usesysid, 'USAGE'), false) "
    "                                          OR pg_has_role('pg_signal_backend', 'USAGE'))))";

std::string server_clock(Connection& conn) { return conn.exec("SELECT clock_timestamp()::text").text(0, 0); }

// The fence's holder: a session on the cluster's maintenance database (a restore's swap ends every
// session of the live one), else on the live database itself.
std::unique_ptr<Connection> open_holder(const DatabaseConfig& live) {
  for (const char* name : {"postgres", "template1"}) {
    DatabaseConfig c = live;
    c.dbname = name;
    try {
      return Connection::open(c);
    } catch (const Error&) {
    }
  }
  return Connection::open(live);
}

struct Marker {
  std::string database;  // where it is now
  json value;
};

std::vector<Marker> find_markers(Connection& conn, const std::string& live) {
  auto r = conn.exec(
      "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
      "WHERE starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), $1)",
      {kWriteFenceMarker}, "look for write fences");
  std::vector<Marker> out;
  for (int i = 0; i < r.rows(); ++i) {
    auto value = json::parse(r.text(i, 1).substr(std::string(kWriteFenceMarker).size()), nullptr, false);
    if (value.is_discarded() || value.value("live", "") != live) continue;
    out.push_back({r.text(i, 0), value});
  }
  return out;
}

std::optional<std::string> read_only_setting(Connection& conn, const std::string& database) {
  auto r = conn.exec(
      "SELECT substr(c, length('default_transaction_read_only=') + 1) FROM pg_db_role_setting s "
      "JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c "
      "WHERE d.datname = $1 AND s.setrole = 0 AND c LIKE 'default_transaction_read_only=%'",
      {database}, "read the database's default_transaction_read_only");
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

// Ends the other sessions of `database` this role may end (connected before `before`, when
// given); waits up to 5 s for each. Returns how many ended.
int end_sessions(Connection& conn, const std::string& database, const std::optional<std::string>& since) {
  std::string sql = std::string("SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid, 5000)) ") + kOtherSessions +
                    "AND " + kMayEnd + (since ? " AND a.backend_start >= $3::timestamptz" : "");
  Params params = {database, own_pids_param()};
  if (since) params.push_back(*since);
  return static_cast<int>(conn.exec(sql, params, "end the other sessions of " + database).int64(0, 0));
}

// Puts a fenced database back as the marker says it was, and ends the sessions that connected
// while it was fenced (they are read-only).
void lift_marker(Connection& conn, const Marker& m) {
  const std::string db = quote_ident(m.database);
  {
    Transaction tx(conn);
    auto before = m.value.value("readOnlyBefore", json());
    tx.exec(before.is_string() ? "ALTER DATABASE " + db + " SET default_transaction_read_only = " +
                                     quote_literal(before.get<std::string>())
                               : "ALTER DATABASE " + db + " RESET default_transaction_read_only",
            {}, "lift the write fence on " + m.database);
    auto comment = m.value.value("commentBefore", json());
    tx.exec("COMMENT ON DATABASE " + db + " IS " +
                (comment.is_string() ? quote_literal(comment.get<std::string>()) : std::string("NULL")),
            {}, "remove the write fence's marker");
    tx.commit();
  }
  std::string raised_at = m.value.value("raisedAt", "");
  if (!raised_at.empty()) end_sessions(conn, m.database, raised_at);
}

bool holder_alive(Connection& conn, const json& marker) {
  return conn
      .exec("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND backend_start::text = $2)",
            {std::to_string(marker.value("holderPid", 0)), marker.value("holderStart", "")},
            "check the write fence's holder")
      .boolean(0, 0);
}

std::string marker_id(const json& marker) {
  return std::to_string(marker.value("holderPid", 0)) + "@" + marker.value("holderStart", "");
}

std::string client_list(const std::vector<DatabaseClient>& clients) {
  std::string out;
  for (const auto& c : clients) out += (out.empty() ? "" : "; ") + describe_client(c);
  return out;
}

}  // namespace

bool write_fence_held_here() { return fences_held.load() > 0; }

std::string FenceCheck::why_not() const {
  if (!may_alter) return "this role may not alter the database (it needs to own it, or be a superuser)";
  if (unstoppable.empty()) return "";
  std::string list;
  for (const auto& s : unstoppable) list += (list.empty() ? "" : ", ") + s;
  return "this role may not end the sessions " + list + " (superusers', or other roles')";
}

FenceCheck check_write_fence(Connection& conn, const std::string& database) {
  FenceCheck c;
  auto r = conn.exec(
      "SELECT r.rolsuper OR pg_has_role(d.datdba, 'USAGE') FROM pg_roles r, pg_database d "
      "WHERE r.rolname = current_user AND d.datname = $1",
      {database}, "check the privilege to fence the database");
  c.may_alter = !r.empty() && r.boolean(0, 0);
  auto s = conn.exec(std::string("SELECT coalesce(a.usename, '?') || '@' || coalesce(a.application_name, '') || "
                                 "' (pid ' || a.pid || ')' ") +
                         kOtherSessions + "AND NOT " + kMayEnd,
                     {database, own_pids_param()}, "list the sessions this role may not end");
  for (int i = 0; i < s.rows(); ++i) c.unstoppable.push_back(s.text(i, 0));
  return c;
}

WriteFence::WriteFence(DatabaseConfig live, std::unique_ptr<Connection> holder, std::string id)
    : live_(std::move(live)), holder_(std::move(holder)), id_(std::move(id)) {}

std::unique_ptr<WriteFence> WriteFence::raise(const DatabaseConfig& live, const std::string& operation,
                                              bool allow_unstoppable) {
  auto holder = open_holder(live);
  holder->exec("SET application_name = 'keepsake-fence'");
  holder->exec("SET default_transaction_read_only = off");
  auto check = check_write_fence(*holder, live.dbname);
  if (!check.may_alter || (!allow_unstoppable && !check.unstoppable.empty())) {
    throw Error(ErrorKind::kForbidden, "cannot fence the database " + live.dbname + " against writes: " + check.why_not(),
                "restore as the database's owner or a superuser (Immich's own role usually is), or stop the other "
                "clients first");
  }
  for (const auto& m : find_markers(*holder, live.dbname)) {
    if (holder_alive(*holder, m.value)) {
      throw Error(ErrorKind::kConflict,
                  "another Keepsake holds the write fence on " + m.database + " (" + m.value.value("operation", "?") + ")",
                  "wait for it to finish");
    }
    lift_marker(*holder, m);
  }
  auto me = holder->exec("SELECT pg_backend_pid(), backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()");
  json marker = {{"live", live.dbname},
                 {"operation", operation},
                 {"holderPid", me.int64(0, 0)},
                 {"holderStart", me.text(0, 1)}};
  auto before = read_only_setting(*holder, live.dbname);
  marker["readOnlyBefore"] = before ? json(*before) : json(nullptr);
  auto comment = holder->exec("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                              {live.dbname});
  marker["commentBefore"] = comment.empty() || comment.is_null(0, 0) ? json(nullptr) : json(comment.text(0, 0));
  std::unique_ptr<WriteFence> fence(
      new WriteFence(live, std::move(holder), marker_id(marker)));
  ++fences_held;
  auto& conn = *fence->holder_;
  {
    Transaction tx(conn);
    // Sessions that start from here on may read the new setting; the lift ends those, so this
    // time is taken before the commit (ending a few too many is harmless).
    marker["raisedAt"] = server_clock(conn);
    tx.exec("ALTER DATABASE " + quote_ident(live.dbname) + " SET default_transaction_read_only = on", {},
            "fence the database against writes");
    tx.exec("COMMENT ON DATABASE " + quote_ident(live.dbname) + " IS " +
                quote_literal(kWriteFenceMarker + marker.dump()),
            {}, "record the write fence");
    tx.commit();
  }
  fence->ended_ = end_sessions(conn, live.dbname, std::nullopt);
  spdlog::info("Write fence up on {} for the {}: new sessions are read-only, {} open session(s) ended", live.dbname,
               operation, fence->ended_);
  return fence;
}

void WriteFence::lift() {
  if (lifted_) return;
  if (!holder_->still_connected()) holder_ = open_holder(live_);
  for (const auto& m : find_markers(*holder_, live_.dbname)) {
    if (marker_id(m.value) == id_) lift_marker(*holder_, m);
  }
  lifted_ = true;
  --fences_held;
  holder_.reset();
  spdlog::info("Write fence on {} lifted", live_.dbname);
}

WriteFence::~WriteFence() {
  try {
    lift();
  } catch (const std::exception& e) {
    if (!lifted_) --fences_held;
    spdlog::error("The write fence on {} could not be lifted ({}); the next keepsake command lifts it", live_.dbname,
                  e.what());
  }
}

std::vector<std::string> lift_abandoned_fences(const DatabaseConfig& live) {
  std::vector<std::string> messages;
  try {
    auto conn = open_holder(live);
    conn->exec("SET default_transaction_read_only = off");
    for (const auto& m : find_markers(*conn, live.dbname)) {
      if (holder_alive(*conn, m.value)) continue;
      lift_marker(*conn, m);
      messages.push_back("lifted the write fence a stopped Keepsake left on " + m.database + " (" +
                         m.value.value("operation", "?") + ", raised at " + m.value.value("raisedAt", "?") + ")");
    }
  } catch (const std::exception& e) {
    messages.push_back("write fences not checked: " + std::string(e.what()));
  }
  return messages;
}

FenceCheck check_or_refuse(const DatabaseConfig& live, const std::string& operation, bool restart_channel,
                           bool force) {
  auto conn = Connection::open(live);
  auto check = check_write_fence(*conn, live.dbname);
  if (check.possible()) return check;
  auto untold = clients_not_told(list_other_clients(*conn, live.dbname), restart_channel);
  if (untold.empty()) return check;
  if (!force) {
    throw Error(ErrorKind::kForbidden,
                "other clients are connected that Keepsake can neither tell to stop writing (" +
                    std::string(restart_channel ? "they are not Immich servers"
                                                : "no restart channel: no REDIS_* variable is set") +
                    ") nor fence (" + check.why_not() + "): " + client_list(untold) + "; nothing was changed",
                "stop those clients, run Keepsake as the database's owner or a superuser, or pass --force (their "
                "writes during the " + operation + " may be lost)");
  }
  spdlog::warn("--force: the {} runs although {} cannot be stopped from writing", operation, client_list(untold));
  return check;
}

std::unique_ptr<WriteFence> fence_or_refuse(const DatabaseConfig& live, const std::string& operation,
                                            bool restart_channel, bool force) {
  auto check = check_or_refuse(live, operation, restart_channel, force);
  if (check.possible()) return WriteFence::raise(live, operation);
  if (!check.may_alter) {
    spdlog::warn("No write fence for the {}: {}", operation, check.why_not());
    return nullptr;
  }
  spdlog::warn("Partial write fence for the {}: {}", operation, check.why_not());
  return WriteFence::raise(live, operation, true);
}

}  // namespace keepsake::db
