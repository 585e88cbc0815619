#include "db/pool.h"

#include "common/error.h"

namespace keepsake::db {

PooledConnection::~PooledConnection() {
  if (pool_ && conn_) pool_->release(std::move(conn_));
}

Pool::Pool(DatabaseConfig config, size_t max_size)
    : config_(std::move(config)), max_size_(max_size == 0 ? 1 : max_size) {}

Pool::~Pool() = default;

PooledConnection Pool::acquire(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->still_connected()) return PooledConnection(this, std::move(conn));
      --open_count_;  // closed by the server while idle (a restore's swap, a restart): replace it
      continue;
    }
    if (open_count_ < max_size_) {
      ++open_count_;
      lock.unlock();
      try {
        return PooledConnection(this, Connection::open(config_));
      } catch (...) {
        std::lock_guard relock(mu_);
        --open_count_;
        cv_.notify_one();
        throw;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_count_ >= max_size_) {
      throw Error(ErrorKind::kUnavailable,
                  "all " + std::to_string(max_size_) + " database connections are busy",
                  "try again shortly");
    }
  }
}

void Pool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  bool reusable = conn->healthy() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE;
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_count_;
  }
  cv_.notify_one();
}

}  // namespace keepsake::db
