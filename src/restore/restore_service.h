// Restoring a backup so that the live library is either untouched or fully replaced, never in
// between. The whole file is scanned first (restore/dump_scan.h); then one of two strategies:
//   * beside (default): load into a new scratch database with several connections, run the
//     migrations there, require an admin and a clean schema check, then swap it in with one
//     transaction (restore/database_swap.h). The previous database is kept as
//     <live>_before_restore_<stamp> until `keepsake restore cleanup` or `keep_days`.
//   * in place (the role cannot create or rename databases, or cannot create the dump's
//     extensions): a restore-point backup as Immich makes one, then ONE transaction that resets
//     the schema (keeping installed extensions), loads the dump and checks the result; any failure
//     rolls it all back.
// Both run behind a write fence on the live database (db/write_fence.h), raised after the scan and
// before anything changes (in place: before the restore-point backup), lifted after the swap or
// the commit, or on failure.
// A crash at any point is found by recover_restores() on the next start, which says what happened
// and removes the scratch database. Never runs psql, so a dump cannot reach a shell.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "restore/dump_scan.h"

namespace keepsake::restore {

// kDataFolder: a point-in-time restore of the embedded cluster, whose whole data folder is
// replaced (restore/pitr_restore.h); never asked for, only reported.
enum class RestoreStrategy { kAuto, kBeside, kInPlace, kDataFolder };

const char* strategy_name(RestoreStrategy s);

// Immich's status tasks: "backup" (restore point), "restore", "migrations", "swap", "rollback".
struct RestoreProgress {
  std::string task;
  double progress = 0;  // 0..1 over the whole restore
  std::string message;
};

struct RestoreOptions {
  Config config;          // the live database, the media location (backups folder)
  std::string filename;   // a file in <media>/backups (validated with Immich's rules)
  // Instead of a file: a dump stream (pg_dump of a recovered cluster, see restore/dump_scan.h);
  // `filename` then only names it in messages, and nothing of it is written to disk.
  DumpStream stream;
  RestoreStrategy strategy = RestoreStrategy::kAuto;
  int connections = 2;    // parallel loaders (beside only)
  // Go on although other clients are connected that can neither be told to stop writing nor
  // fenced (db::fence_or_refuse); their writes during the restore may be lost.
  bool force = false;
  std::string maintenance_work_mem;  // for index builds; empty = sized from this machine's memory
  std::function<void(const RestoreProgress&)> progress;
  // Runs on the restored database just before it goes live (beside: before the swap; in place:
  // inside the transaction): the maintenance service writes its state there.
  std::function<void(db::Connection&)> prepare_restored;
};

struct RestoreResult {
  RestoreStrategy strategy = RestoreStrategy::kBeside;
  DumpKind kind = DumpKind::kDatabase;
  std::string previous_database;   // beside: where the replaced database now is; data folder: its folder
  std::string restore_point;       // in place: the restore-point backup's file name ("" if none)
  uint64_t rows = 0;
  double seconds = 0;
  std::vector<std::string> notes;  // skipped statements and other remarks
};

// Restores. Throws keepsake::Error with the cause; the live database is then unchanged.
RestoreResult restore_database(const RestoreOptions& options);
// Its fault-injection phases (common/fault_point.h) for each strategy, in order.
inline constexpr std::string_view kRestoreBesidePhases[] = {
    "restore.scanned", "restore.fenced", "restore.scratch-created", "restore.schema", "restore.data",
    "restore.indexes", "restore.loaded", "restore.migrated", "restore.before-swap", "restore.after-swap"};
inline constexpr std::string_view kRestoreInPlacePhases[] = {"restore.scanned", "restore.fenced", "restore.restore-point",
                                                             "restore.loaded", "restore.committed"};

// The system_metadata row a restore writes into the restored database just before its swap, and
// removes once the swap is done: found by recover_restores() after a crash in between.
inline constexpr const char* kRestoreJournalKey = "keepsake-restore";

// What a restored database goes through before it goes live, also for a restore that puts it in
// place otherwise (the embedded cluster's data folder, restore/pitr_restore.h): the migrations,
// the checks (an admin, Immich v2.7.5's schema; Error otherwise), the journal above naming
// `previous` (where the replaced library is kept), then o.prepare_restored.
void ready_for_swap(const RestoreOptions& o, const DatabaseConfig& restored, const std::string& previous);
// Once the swap is done: removes the journal from the live database.
void finish_swap(const DatabaseConfig& live);

struct RecoveryReport {
  std::vector<std::string> messages;  // what was found and done, for the log and the status
  std::string completed_file;         // a restore finished its swap but not its last step
  std::string interrupted_file;       // a restore stopped before its swap (live unchanged)
};

// Looks for the traces of restores that did not finish (scratch databases without sessions, a
// journal left in the "swapped" state, a write fence whose holder is gone) and cleans up: drops
// the scratch databases, completes the journal, lifts the fence, and drops previous databases older than keep_days (0 = keep them). Never throws for a
// missing permission: it reports it.
RecoveryReport recover_restores(const DatabaseConfig& live, int keep_days);
// Its fault-injection phases, in order (a scratch database and a journal are never found at once).
inline constexpr std::string_view kRecoverRestoresPhases[] = {
    "restore.recovery.fences-lifted", "restore.recovery.scratch-found", "restore.recovery.journal-found"};

// `keepsake restore cleanup`: drops the previous databases (all, or those older than
// older_than) and unused scratch databases. Returns the names dropped.
std::vector<std::string> cleanup_restore_databases(const DatabaseConfig& live,
                                                   std::chrono::hours older_than = std::chrono::hours(0));

}  // namespace keepsake::restore
