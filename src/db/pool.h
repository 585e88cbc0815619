// A bounded pool of PostgreSQL connections. acquire() waits when all are in use; a connection
// found broken on return is dropped and replaced on demand. Never hands one connection to two
// users at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "db/connection.h"

namespace keepsake::db {

class Pool;

// A connection borrowed from a Pool; returns it on destruction.
class PooledConnection {
 public:
  PooledConnection(Pool* pool, std::unique_ptr<Connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PooledConnection(PooledConnection&&) = default;
  PooledConnection& operator=(PooledConnection&&) = default;
  ~PooledConnection();

  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }
  Connection& get() { return *conn_; }
  // Keeps the connection out of the pool for good (e.g. it holds a session lock forever).
  std::unique_ptr<Connection> detach() { return std::move(conn_); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  Pool(DatabaseConfig config, size_t max_size = 10);
  ~Pool();

  // Borrows a connection, opening one if below max_size, else waiting up to `timeout`
  // (Error kUnavailable after that).
  PooledConnection acquire(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Opens a connection outside the pool's limit (for LISTEN loops and long-held locks).
  std::unique_ptr<Connection> open_dedicated() const { return Connection::open(config_); }

  const DatabaseConfig& config() const { return config_; }
  size_t max_size() const { return max_size_; }

 private:
  friend class PooledConnection;
  void release(std::unique_ptr<Connection> conn);

  DatabaseConfig config_;
  size_t max_size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_count_ = 0;
};

}  // namespace keepsake::db
