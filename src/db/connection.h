// PostgreSQL access over libpq: RAII connections and results, parameterised queries only.
// Every query takes its values as parameters ($1, $2, ...); SQL text is never built from request
// data. Identifiers that must be spliced (table names from the schema model) go through
// quote_ident(). Errors become keepsake::Error(kDatabase) with the SQLSTATE, the statement's
// purpose and PostgreSQL's message. Sessions run with TimeZone=UTC.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace keepsake::db {

// A query parameter in text format; std::nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// Text form of a bytea parameter ("\x" + hex).
std::string bytea_param(std::string_view bytes);

// Quotes an identifier for SQL text ("name" with inner quotes doubled).
std::string quote_ident(std::string_view name);
// Quotes a string literal for SQL text that cannot take parameters (DDL); prefer parameters.
std::string quote_literal(std::string_view value);

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* res) : res_(res, &PQclear) {}

  int rows() const { return res_ ? PQntuples(res_.get()) : 0; }
  int columns() const { return res_ ? PQnfields(res_.get()) : 0; }
  bool empty() const { return rows() == 0; }
  int column(std::string_view name) const;  // throws if absent
  std::string column_name(int col) const { return PQfname(res_.get(), col); }

  bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col); }
  std::string text(int row, int col) const;  // "" for NULL
  std::optional<std::string> opt_text(int row, int col) const;
  int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const;
  double real(int row, int col) const;
  std::string bytea(int row, int col) const;  // raw bytes

  // By column name.
  std::string text(int row, std::string_view col) const { return text(row, column(col)); }
  std::optional<std::string> opt_text(int row, std::string_view col) const {
    return opt_text(row, column(col));
  }
  int64_t int64(int row, std::string_view col) const { return int64(row, column(col)); }
  bool boolean(int row, std::string_view col) const { return boolean(row, column(col)); }

  // Rows affected by INSERT/UPDATE/DELETE.
  int64_t affected() const;

  PGresult* raw() const { return res_.get(); }

 private:
  std::shared_ptr<PGresult> res_;
};

struct Notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0;
};

class Connection {
 public:
  // Connects or throws Error(kUnavailable / kUnauthorized) with a message naming host and db
  // (never the password).
  static std::unique_ptr<Connection> open(const DatabaseConfig& config);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement. `purpose` names it in errors ("read migrations", "create index ...").
  Result exec(std::string_view sql, const Params& params = {}, std::string_view purpose = {});
  // Same as exec, for statements run often (search filters, row fetches): the statement is
  // prepared once per connection, so PostgreSQL plans it once. At most kMaxPrepared shapes are
  // kept; the SQL text must not carry values, or every call would be a new shape.
  Result exec_prepared(const std::string& sql, const Params& params = {},
                       std::string_view purpose = {});
  static constexpr size_t kMaxPrepared = 64;
  size_t prepared_count() const { return prepared_.size(); }
  // Runs several statements without parameters (DDL scripts).
  void exec_script(std::string_view sql, std::string_view purpose = {});

  // COPY ... FROM STDIN: call copy_in_begin, then copy_in_put any number of times, then
  // copy_in_end (which returns the rows loaded).
  void copy_in_begin(std::string_view copy_sql, std::string_view purpose = {});
  void copy_in_put(std::string_view data);
  int64_t copy_in_end();
  // Ends a COPY ... FROM STDIN with an error, so the server discards it; never throws.
  void copy_in_abort(std::string_view reason) noexcept;
  // COPY ... TO STDOUT: calls sink for each chunk; returns rows.
  int64_t copy_out(std::string_view copy_sql, const std::function<void(std::string_view)>& sink,
                   std::string_view purpose = {});

  // LISTEN/NOTIFY.
  void listen(std::string_view channel);
  void notify(std::string_view channel, std::string_view payload);
  // Waits up to `timeout` for a notification.
  std::optional<Notification> wait_notification(std::chrono::milliseconds timeout);

  // Asks the server to cancel the statement this connection runs. Safe from another thread.
  void cancel() const noexcept;
  // False when the server closed the connection (e.g. pg_terminate_backend) while it was idle.
  // Cheap: a non-blocking look at the socket.
  bool still_connected();

  bool healthy() const;
  int backend_pid() const;
  std::string server_version() const;  // e.g. "15.20"
  int server_version_num() const;      // e.g. 150020
  const DatabaseConfig& config() const { return config_; }
  PGconn* raw() const { return conn_; }

 private:
  Connection(PGconn* conn, DatabaseConfig config) : conn_(conn), config_(std::move(config)) {}
  [[noreturn]] void fail(PGresult* res, std::string_view purpose) const;
  Result checked(PGresult* res, std::string_view purpose) const;
  const std::string& prepare(const std::string& sql, std::string_view purpose);
  void forget_prepared() noexcept;

  PGconn* conn_;
  DatabaseConfig config_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  uint64_t next_statement_ = 0;
};

// RAII transaction: BEGIN on construction, ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Connection& conn, std::string_view begin_sql = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result exec(std::string_view sql, const Params& params = {}, std::string_view purpose = {}) {
    return conn_.exec(sql, params, purpose);
  }
  void commit();
  void rollback();
  Connection& connection() { return conn_; }

 private:
  Connection& conn_;
  bool open_ = true;
};

}  // namespace keepsake::db
