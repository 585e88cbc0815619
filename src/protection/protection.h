// "Is my library safe?": one verdict (protected / at risk / failing) with its reasons, computed
// from what the other modules record — the database backups in the backups folder and their
// verifications, the admin's notifications of failed backups, the checksum verification of the
// originals, the last database-vs-disk scan, point-in-time recovery and the file snapshots — plus a timeline of the last 30 days.
// Read by the admin console through GET /api/admin/protection. Only reads; a source that is not
// configured is reported as unavailable with the reason, never filled in.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/system_config.h"
#include "db/connection.h"

namespace keepsake::protection {

enum class Verdict { kProtected, kAtRisk, kFailing };
const char* verdict_name(Verdict verdict);  // "protected", "at-risk", "failing"

// A backup Keepsake made was verified as it was written (its .sha256 sidecar); any file can be
// verified on request later (keepsake.backup_verification). The newest of the two counts.
struct BackupState {
  std::string filename;
  uint64_t size = 0;
  std::string made_at;       // ISO 8601 UTC (the file's modification time)
  std::string verification;  // "verified", "failed", "unverified"
  std::string verified_at;
  std::string verification_message;
};

struct Failure {
  std::string at;
  std::string message;
};

// A source the overview reads that may not be set up here.
struct Availability {
  bool available = false;
  std::string reason;  // why not, when unavailable
};

struct ChecksumState : Availability {
  std::string started_at, finished_at;
  int64_t checked = 0, total = 0;
  std::vector<std::pair<std::string, std::string>> problems;  // (problem, path), at most 100
  int64_t problem_count = 0;
};

// The last database-vs-disk scan (storage/scan_record.h).
struct ScanState : Availability {
  std::string started_at, finished_at;
  int64_t rows = 0, files = 0;
  int64_t missing_irreplaceable = 0, missing_regenerable = 0, orphans = 0, foreign = 0;
};

struct PitrState : Availability {
  std::string earliest, latest;  // the recovery window
  std::string last_base_backup;
  std::vector<std::string> problems;
};

struct SnapshotState : Availability {
  std::string last_snapshot;
  int snapshots = 0;
};

struct Event {
  std::string at;
  std::string kind;  // backup, verification, failure, checksum, scan, base-backup, snapshot
  bool ok = true;
  std::string label;
};

struct Report {
  Verdict verdict = Verdict::kAtRisk;
  std::vector<std::string> reasons;
  config::DatabaseBackupSettings schedule;
  std::vector<BackupState> backups;  // newest first
  std::optional<Failure> last_failure;
  ChecksumState checksum;
  ScanState scan;
  PitrState pitr;
  SnapshotState snapshots;
  int64_t users = 0, assets = 0;  // what is being protected
  std::vector<Event> timeline;     // the last 30 days, oldest first
};

struct Sources {
  const Config& config;                       // media location, data dir (PITR archive, restic)
  std::map<std::string, std::string> env;      // RESTIC_* for the file snapshots
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

inline constexpr int kTimelineDays = 30;
inline constexpr int kBackupMaxAgeHours = 48;

Report read_protection(db::Connection& conn, const Sources& sources);

// The verdict and its reasons from the facts of a report (everything but verdict and reasons). Pure.
void judge(Report& report, std::chrono::system_clock::time_point now);

}  // namespace keepsake::protection
