// Database backups compatible with Immich's (spec §5): pg_dump --clean --if-exists of the
// configured database, compressed in-process into a standard gzip file named as Immich names
// them, written to <name>.tmp, fsynced, verified (full decompression, CRC, length, pg_dump's
// completion trailer, checksum), given a .sha256 sidecar, renamed, and the folder fsynced.
// The DatabaseBackup job adds lock 42 for the whole run, retention, and the admin's failure
// notification. Must never leave a .sql.gz that is not complete, never hold a dump in memory, and
// never pass the password anywhere but PGPASSWORD in the child's minimal environment.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "backup/dump_check.h"
#include "backup/gzip_stream.h"
#include "backup/pg_tools.h"
#include "config/config.h"
#include "db/connection.h"

namespace keepsake::backup {

struct BackupProgress {
  std::string phase;          // "dump" or "verify"
  uint64_t dump_bytes = 0;    // SQL bytes from pg_dump so far
  uint64_t file_bytes = 0;    // compressed bytes written (dump) or read back (verify)
  std::chrono::steady_clock::duration elapsed{};
};

struct BackupOptions {
  DatabaseConfig db;
  std::string media_location;
  std::string prefix;  // "" or "restore-point-"
  std::string pg_lib_root = kDefaultPgLibRoot;
  GzipEngine engine = GzipEngine::kIsal;
  std::function<void(const BackupProgress&)> progress;  // called often; keep it cheap
  std::function<void(pid_t)> on_dump_started;
};

struct BackupResult {
  std::string filename;
  std::string path;
  std::string sha256;
  uint64_t size = 0;               // compressed
  uint64_t uncompressed_size = 0;  // SQL
  std::string pg_dump;             // the tool used
  double seconds = 0;
};

// Creates one backup. Throws keepsake::Error with the cause; nothing but the logs remains then.
BackupResult create_backup(const BackupOptions& options);
// Its fault-injection phases (common/fault_point.h), in order.
inline constexpr std::string_view kCreateBackupPhases[] = {
    "backup.create.write", "backup.create.fsync", "backup.create.sidecar", "backup.create.rename",
    "backup.create.folder-fsync"};

// Retention as the spec says, reading keepLastAmount from system-config. Returns deleted names.
std::vector<std::string> cleanup_database_backups(const DatabaseConfig& db,
                                                  const std::string& media_location);

enum class LockPolicy { kWait, kSkipIfBusy };

struct JobOptions {
  BackupOptions backup;
  LockPolicy lock = LockPolicy::kWait;
  std::chrono::milliseconds lock_timeout{0};  // for kWait; 0 = forever
  // For scheduled runs: the cron tick this run belongs to. A tick already run by any instance is
  // skipped (recorded in keepsake.backup_schedule_run under the lock).
  std::optional<std::chrono::system_clock::time_point> tick;
};

// The DatabaseBackup job (what the job queue and the scheduler call): holds advisory lock
// BackupDatabase (42) for the whole run, creates a backup, then applies retention. On failure it
// logs the cause, inserts the admin's JobFailed notification (spec §5.3) and rethrows.
// Returns nullopt when skipped (lock busy with kSkipIfBusy, or tick already done).
std::optional<BackupResult> run_database_backup_job(const JobOptions& options);

// Inserts Immich's failure notification for the admin ("Job <job> failed with error: ...") and
// logs the failure; logs instead when there is no admin or no notification table. Never throws.
void notify_job_failure(const DatabaseConfig& db, const std::string& job, const std::string& message);
// notify_job_failure for the database backup ("DatabaseBackup").
void notify_backup_failure(const DatabaseConfig& db, const std::string& message);

// Records that `job` ran its cron tick (keepsake.backup_schedule_run; call under the job's lock);
// false when some instance already did.
bool claim_schedule_tick(db::Connection& conn, const std::string& job,
                         std::chrono::system_clock::time_point tick);

}  // namespace keepsake::backup
