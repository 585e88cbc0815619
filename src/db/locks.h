// PostgreSQL advisory locks with Immich's DatabaseLock numbers (spec §3.7), so Keepsake and Immich
// instances sharing one database coordinate. with_lock() never calls the blocking
// pg_advisory_lock (it can deadlock against CREATE INDEX CONCURRENTLY): it polls
// pg_try_advisory_lock with a bounded back-off and logs while it waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "db/connection.h"
#include "db/pool.h"

namespace keepsake::db {

enum class DatabaseLock : int64_t {
  GeodataImport = 100,
  Migrations = 200,
  SystemFileMounts = 300,
  StorageTemplateMigration = 420,
  VersionHistory = 500,
  CLIPDimSize = 512,
  Library = 1337,
  NightlyJobs = 600,
  MediaLocation = 700,
  GetSystemConfig = 69,
  BackupDatabase = 42,
  FilesBackup = 4200,  // Keepsake's own: the restic snapshot of the media folder (files/files_jobs.h)
  StorageVerifySlice = 4201,  // Keepsake's own: the scheduled checksum-verification slice (files/verify_schedule.h)
  MaintenanceOperation = 621,
  MemoryCreation = 777,
  VersionCheck = 800,
  // Keepsake's own (no Immich counterpart): the scheduled PITR base backup.
  PitrBaseBackup = 1717,
};

// kysely's migration lock, taken with pg_advisory_xact_lock inside the migration transaction.
inline constexpr int64_t kKyselyMigrationLockId = 3853314791062309107LL;

const char* lock_name(DatabaseLock lock);

struct LockWaitOptions {
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{1000};
  std::chrono::milliseconds log_every{5000};
  std::chrono::milliseconds timeout{0};  // 0 = wait forever
};

// Holds a session-level advisory lock on a dedicated connection for the whole of fn, which gets
// that connection. Releases it afterwards, also when fn throws.
void with_lock(Pool& pool, DatabaseLock lock, const std::function<void(Connection&)>& fn,
               const LockWaitOptions& options = {});
void with_lock(const DatabaseConfig& config, DatabaseLock lock,
               const std::function<void(Connection&)>& fn, const LockWaitOptions& options = {});

// A session lock that stays held as long as this object (and its connection) lives.
class HeldLock {
 public:
  HeldLock(std::unique_ptr<Connection> conn, DatabaseLock lock)
      : conn_(std::move(conn)), lock_(lock) {}
  ~HeldLock();
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  Connection& connection() { return *conn_; }
  DatabaseLock lock() const { return lock_; }

 private:
  std::unique_ptr<Connection> conn_;
  DatabaseLock lock_;
};

// Returns at once: the held lock, or nullptr when another session holds it.
std::unique_ptr<HeldLock> try_lock(const DatabaseConfig& config, DatabaseLock lock);

// True when some session (maybe this one) holds the lock right now; does not keep it.
bool is_lock_held_elsewhere(Connection& conn, DatabaseLock lock);

}  // namespace keepsake::db
