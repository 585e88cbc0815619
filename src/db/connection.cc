#include "db/connection.h"

#include <poll.h>

#include <cstring>
#include <mutex>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "db/database_clients.h"
#include "db/write_fence.h"

namespace keepsake::db {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string where(const DatabaseConfig& c) {
  std::string host = c.host.empty() ? "localhost" : c.host;
  return "database \"" + c.dbname + "\" on " + host + (c.port.empty() ? "" : ":" + c.port) +
         " as user \"" + c.user + "\"";
}

std::mutex& own_pids_mutex() {
  static std::mutex mu;
  return mu;
}
std::multiset<int>& own_pids() {
  static std::multiset<int> pids;
  return pids;
}

void forget_own_pid(int pid) {
  std::lock_guard lock(own_pids_mutex());
  auto it = own_pids().find(pid);
  if (it != own_pids().end()) own_pids().erase(it);
}

}  // namespace

std::vector<int> own_backend_pids() {
  std::lock_guard lock(own_pids_mutex());
  return {own_pids().begin(), own_pids().end()};
}

std::string bytea_param(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_literal(std::string_view value) {
  std::string out = "'";
  bool backslash = false;
  for (char c : value) {
    if (c == '\'') out += '\'';
    if (c == '\\') backslash = true;
    out += c;
  }
  out += "'";
  return backslash ? "E" + [&] {
    std::string escaped;
    for (char c : out) {
      if (c == '\\') escaped += '\\';
      escaped += c;
    }
    return escaped;
  }() : out;
}

int Result::column(std::string_view name) const {
  int col = PQfnumber(res_.get(), ("\"" + std::string(name) + "\"").c_str());
  if (col < 0) {
    throw Error(ErrorKind::kInternal, "query result has no column \"" + std::string(name) + "\"");
  }
  return col;
}

std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(res_.get(), row, col), PQgetlength(res_.get(), row, col));
}

std::optional<std::string> Result::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return text(row, col);
}

int64_t Result::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::stoll(PQgetvalue(res_.get(), row, col));
}

bool Result::boolean(int row, int col) const {
  const char* v = PQgetvalue(res_.get(), row, col);
  return v[0] == 't';
}

double Result::real(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::stod(PQgetvalue(res_.get(), row, col));
}

std::string Result::bytea(int row, int col) const {
  if (is_null(row, col)) return {};
  size_t len = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col)), &len);
  if (!raw) throw Error(ErrorKind::kInternal, "cannot decode bytea value");
  std::string out(reinterpret_cast<char*>(raw), len);
  PQfreemem(raw);
  return out;
}

int64_t Result::affected() const {
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::stoll(n) : 0;
}

std::unique_ptr<Connection> Connection::open(const DatabaseConfig& config) {
  auto params = config.libpq_params();
  if (write_fence_held_here()) {
    for (auto& [k, v] : params) {
      if (k == "options") v += " " + std::string(kWriteFenceOverride);
    }
  }
  std::vector<const char*> keys, values;
  for (auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!conn) throw Error(ErrorKind::kUnavailable, "out of memory while connecting to PostgreSQL");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = trim(PQerrorMessage(conn));
    PQfinish(conn);
    // libpq never echoes the password; still redact any URL-like text defensively.
    msg = log::redact_url(msg);
    bool auth = msg.find("password authentication failed") != std::string::npos ||
                msg.find("no password supplied") != std::string::npos ||
                msg.find("authentication failed") != std::string::npos;
    throw Error(auth ? ErrorKind::kUnauthorized : ErrorKind::kUnavailable,
                "cannot connect to " + where(config) + ": " + msg,
                auth ? "check DB_PASSWORD / DB_USERNAME (or DB_URL)"
                     : "check that PostgreSQL runs and DB_HOSTNAME / DB_PORT (or DB_URL) point to it");
  }
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        std::string m = trim(message);
        if (m.rfind("NOTICE:", 0) == 0) spdlog::debug("postgres: {}", m);
        else spdlog::warn("postgres: {}", m);
      },
      nullptr);
  {
    std::lock_guard lock(own_pids_mutex());
    own_pids().insert(PQbackendPID(conn));
  }
  return std::unique_ptr<Connection>(new Connection(conn, config));
}

Connection::~Connection() {
  if (!conn_) return;
  forget_own_pid(PQbackendPID(conn_));
  PQfinish(conn_);
}

void Connection::fail(PGresult* res, std::string_view purpose) const {
  std::string sqlstate, message;
  if (res) {
    const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (s) sqlstate = s;
    const char* m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    message = m ? m : trim(PQresultErrorMessage(res));
    const char* d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    if (d) message += std::string(" (") + d + ")";
    PQclear(res);
  }
  if (message.empty()) message = trim(PQerrorMessage(conn_));
  std::string text = purpose.empty() ? message : "cannot " + std::string(purpose) + ": " + message;
  if (!sqlstate.empty()) text += " [SQLSTATE " + sqlstate + "]";
  throw Error(PQstatus(conn_) == CONNECTION_OK ? ErrorKind::kDatabase : ErrorKind::kUnavailable,
              text, {}, sqlstate);
}

Result Connection::checked(PGresult* res, std::string_view purpose) const {
  auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(res, purpose);
  return Result(res);
}

namespace {

std::vector<const char*> param_values(const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

// A prepared statement that a session-level change made unusable: DISCARD ALL or DEALLOCATE by
// other code (26000), or a table whose row type changed under a SELECT * (0A000).
bool prepared_statement_is_stale(const PGresult* res) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return state && (std::strcmp(state, "26000") == 0 || std::strcmp(state, "0A000") == 0);
}

}  // namespace

Result Connection::exec(std::string_view sql, const Params& params, std::string_view purpose) {
  std::string query(sql);
  auto values = param_values(params);
  return checked(PQexecParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                              values.data(), nullptr, nullptr, 0),
                 purpose);
}

const std::string& Connection::prepare(const std::string& sql, std::string_view purpose) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  if (prepared_.size() >= kMaxPrepared) {
    checked(PQexec(conn_, "DEALLOCATE ALL"), "release prepared statements");
    prepared_.clear();
  }
  std::string name = "keepsake_" + std::to_string(next_statement_++);
  checked(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), purpose);
  return prepared_.emplace(sql, std::move(name)).first->second;
}

void Connection::forget_prepared() noexcept {
  prepared_.clear();
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) PQclear(PQexec(conn_, "DEALLOCATE ALL"));
}

Result Connection::exec_prepared(const std::string& sql, const Params& params,
                                 std::string_view purpose) {
  auto values = param_values(params);
  auto run = [&] {
    const std::string& name = prepare(sql, purpose);
    return PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                          nullptr, nullptr, 0);
  };
  PGresult* res = run();
  // Outside a transaction a stale statement can be prepared again and the call retried; inside
  // one the error has aborted the transaction, so it is reported (and the cache still dropped).
  if (res && PQresultStatus(res) == PGRES_FATAL_ERROR && prepared_statement_is_stale(res)) {
    bool retry = PQtransactionStatus(conn_) == PQTRANS_IDLE;
    forget_prepared();
    if (retry) {
      PQclear(res);
      res = run();
    }
  }
  return checked(res, purpose);
}

void Connection::exec_script(std::string_view sql, std::string_view purpose) {
  std::string query(sql);
  if (!PQsendQuery(conn_, query.c_str())) fail(nullptr, purpose);
  PGresult* error = nullptr;
  while (PGresult* res = PQgetResult(conn_)) {
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY &&
        !error) {
      error = res;
    } else {
      PQclear(res);
    }
  }
  if (error) fail(error, purpose);
}

void Connection::copy_in_begin(std::string_view copy_sql, std::string_view purpose) {
  std::string query(copy_sql);
  PGresult* res = PQexec(conn_, query.c_str());
  if (!res || PQresultStatus(res) != PGRES_COPY_IN) fail(res, purpose);
  PQclear(res);
}

void Connection::copy_in_put(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) {
    fail(nullptr, "send COPY data");
  }
}

int64_t Connection::copy_in_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr, "finish COPY");
  int64_t rows = 0;
  PGresult* error = nullptr;
  while (PGresult* res = PQgetResult(conn_)) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !error) {
      error = res;
    } else {
      if (!error) rows += Result(res).affected();
      else PQclear(res);
    }
  }
  if (error) fail(error, "load COPY data");
  return rows;
}

void Connection::copy_in_abort(std::string_view reason) noexcept {
  std::string why(reason);
  if (PQputCopyEnd(conn_, why.c_str()) == 1) {
    while (PGresult* res = PQgetResult(conn_)) PQclear(res);
  }
}

void Connection::cancel() const noexcept {
  if (PGcancel* c = PQgetCancel(conn_)) {
    char err[256];
    PQcancel(c, err, sizeof(err));
    PQfreeCancel(c);
  }
}

bool Connection::still_connected() {
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  // Readable while idle: NOTIFYs (kept queued for PQnotifies), or the server's goodbye (e.g.
  // "FATAL: terminating connection" after a restore's swap) and then the end of the stream. The
  // goodbye is the answer this probe asks for, so it is logged at debug, not as a warning.
  PQnoticeProcessor previous = PQsetNoticeProcessor(
      conn_, [](void*, const char* message) { spdlog::debug("postgres: {}", trim(message)); }, nullptr);
  bool alive = true;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  for (int reads = 0; alive && p.fd >= 0 && reads < 4 && poll(&p, 1, 0) > 0; ++reads) {
    alive = PQconsumeInput(conn_) != 0;
    if (alive) PQisBusy(conn_);  // parses what arrived, so the goodbye is seen here
  }
  PQsetNoticeProcessor(conn_, previous, nullptr);
  return alive && p.fd >= 0 && PQstatus(conn_) == CONNECTION_OK;
}

int64_t Connection::copy_out(std::string_view copy_sql,
                             const std::function<void(std::string_view)>& sink,
                             std::string_view purpose) {
  std::string query(copy_sql);
  PGresult* res = PQexec(conn_, query.c_str());
  if (!res || PQresultStatus(res) != PGRES_COPY_OUT) fail(res, purpose);
  PQclear(res);
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(conn_, &buf, 0)) > 0) {
    sink(std::string_view(buf, n));
    PQfreemem(buf);
  }
  if (n == -2) fail(nullptr, purpose);
  int64_t rows = 0;
  PGresult* error = nullptr;
  while (PGresult* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !error) error = r;
    else {
      if (!error) rows += Result(r).affected();
      else PQclear(r);
    }
  }
  if (error) fail(error, purpose);
  return rows;
}

void Connection::listen(std::string_view channel) {
  exec("LISTEN " + quote_ident(channel), {}, "listen for notifications");
}

void Connection::notify(std::string_view channel, std::string_view payload) {
  exec("SELECT pg_notify($1, $2)", {std::string(channel), std::string(payload)}, "send notification");
}

std::optional<Notification> Connection::wait_notification(std::chrono::milliseconds timeout) {
  auto take = [&]() -> std::optional<Notification> {
    PGnotify* n = PQnotifies(conn_);
    if (!n) return std::nullopt;
    Notification out{n->relname, n->extra ? n->extra : "", n->be_pid};
    PQfreemem(n);
    return out;
  };
  if (auto n = take()) return n;
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  int ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) return std::nullopt;
  if (ready > 0 && !PQconsumeInput(conn_)) fail(nullptr, "read notifications");
  return take();
}

bool Connection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
int Connection::backend_pid() const { return PQbackendPID(conn_); }
int Connection::server_version_num() const { return PQserverVersion(conn_); }

std::string Connection::server_version() const {
  const char* v = PQparameterStatus(conn_, "server_version");
  return v ? v : "";
}

Transaction::Transaction(Connection& conn, std::string_view begin_sql) : conn_(conn) {
  conn_.exec(begin_sql, {}, "begin transaction");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    if (conn_.healthy()) conn_.exec("ROLLBACK");
  } catch (const std::exception& e) {
    spdlog::warn("rollback failed: {}", e.what());
  }
}

void Transaction::commit() {
  conn_.exec("COMMIT", {}, "commit transaction");
  open_ = false;
}

void Transaction::rollback() {
  open_ = false;
  conn_.exec("ROLLBACK", {}, "roll back transaction");
}

}  // namespace keepsake::db
