#include "db/locks.h"

#include <thread>

#include "common/error.h"
#include "common/log.h"

namespace keepsake::db {
namespace {

bool try_advisory(Connection& conn, int64_t id) {
  return conn.exec("SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(id)},
                   "take advisory lock")
      .boolean(0, 0);
}

void unlock_advisory(Connection& conn, int64_t id) {
  conn.exec("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(id)}, "release advisory lock");
}

void acquire_polling(Connection& conn, DatabaseLock lock, const LockWaitOptions& o) {
  const auto id = static_cast<int64_t>(lock);
  auto backoff = o.initial_backoff;
  auto start = std::chrono::steady_clock::now();
  auto last_log = start - o.log_every;
  bool waited = false;
  while (!try_advisory(conn, id)) {
    auto now = std::chrono::steady_clock::now();
    if (o.timeout.count() > 0 && now - start >= o.timeout) {
      throw Error(ErrorKind::kConflict,
                  std::string("timed out waiting for database lock ") + lock_name(lock) + " (" +
                      std::to_string(id) + ")",
                  "another Keepsake or Immich instance holds it");
    }
    if (now - last_log >= o.log_every) {
      spdlog::info("Waiting for database lock {} ({}) held by another instance", lock_name(lock), id);
      last_log = now;
    }
    waited = true;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, o.max_backoff);
  }
  if (waited) spdlog::info("Acquired database lock {} ({})", lock_name(lock), id);
}

void run_locked(Connection& conn, DatabaseLock lock, const std::function<void(Connection&)>& fn,
                const LockWaitOptions& options) {
  acquire_polling(conn, lock, options);
  try {
    fn(conn);
  } catch (...) {
    try {
      if (conn.healthy()) unlock_advisory(conn, static_cast<int64_t>(lock));
    } catch (...) {
    }
    throw;
  }
  unlock_advisory(conn, static_cast<int64_t>(lock));
}

}  // namespace

const char* lock_name(DatabaseLock lock) {
  switch (lock) {
    case DatabaseLock::GeodataImport: return "GeodataImport";
    case DatabaseLock::Migrations: return "Migrations";
    case DatabaseLock::SystemFileMounts: return "SystemFileMounts";
    case DatabaseLock::StorageTemplateMigration: return "StorageTemplateMigration";
    case DatabaseLock::VersionHistory: return "VersionHistory";
    case DatabaseLock::CLIPDimSize: return "CLIPDimSize";
    case DatabaseLock::Library: return "Library";
    case DatabaseLock::NightlyJobs: return "NightlyJobs";
    case DatabaseLock::MediaLocation: return "MediaLocation";
    case DatabaseLock::GetSystemConfig: return "GetSystemConfig";
    case DatabaseLock::BackupDatabase: return "BackupDatabase";
    case DatabaseLock::FilesBackup: return "FilesBackup";
    case DatabaseLock::MaintenanceOperation: return "MaintenanceOperation";
    case DatabaseLock::MemoryCreation: return "MemoryCreation";
    case DatabaseLock::VersionCheck: return "VersionCheck";
    case DatabaseLock::PitrBaseBackup: return "PitrBaseBackup";
    case DatabaseLock::StorageVerifySlice: return "StorageVerifySlice";
  }
  return "Unknown";
}

void with_lock(Pool& pool, DatabaseLock lock, const std::function<void(Connection&)>& fn,
               const LockWaitOptions& options) {
  auto conn = pool.acquire();
  run_locked(conn.get(), lock, fn, options);
}

void with_lock(const DatabaseConfig& config, DatabaseLock lock,
               const std::function<void(Connection&)>& fn, const LockWaitOptions& options) {
  auto conn = Connection::open(config);
  run_locked(*conn, lock, fn, options);
}

HeldLock::~HeldLock() {
  // A session that has ended (e.g. terminated by a restore's database swap) released its locks.
  if (!conn_ || !conn_->still_connected()) return;
  try {
    unlock_advisory(*conn_, static_cast<int64_t>(lock_));
  } catch (const std::exception& e) {
    if (conn_->still_connected()) spdlog::warn("could not release database lock {}: {}", lock_name(lock_), e.what());
  }
}

std::unique_ptr<HeldLock> try_lock(const DatabaseConfig& config, DatabaseLock lock) {
  auto conn = Connection::open(config);
  if (!try_advisory(*conn, static_cast<int64_t>(lock))) return nullptr;
  return std::make_unique<HeldLock>(std::move(conn), lock);
}

bool is_lock_held_elsewhere(Connection& conn, DatabaseLock lock) {
  return conn
      .exec("SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = 0 AND objid = $1::bigint AND objsubid = 1",
            {std::to_string(static_cast<int64_t>(lock))}, "inspect advisory locks")
      .boolean(0, 0);
}

}  // namespace keepsake::db
