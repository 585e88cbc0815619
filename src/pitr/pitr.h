// Point-in-time recovery (docs/PITR.md): continuous WAL archiving with pg_receivewal over a
// replication connection and a physical slot, compressed base backups with pg_basebackup checked
// by pg_verifybackup, named restore points, and recovery into a private scratch cluster.
// Works on any Immich schema (it never reads Immich's tables except to check a recovered copy).
// Must never touch the live database's data; never pass a password anywhere but PGPASSWORD in a
// child's environment; never run PostgreSQL as root.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "db/locks.h"

namespace keepsake::pitr {

inline constexpr const char* kSlotName = "keepsake_pitr";
// pg_receivewal's application_name: what synchronous_standby_names names in synchronous mode.
inline constexpr const char* kApplicationName = "keepsake_pitr";

// KEEPSAKE_PITR_SYNCHRONOUS ("true" / "false", default false): each commit waits until the
// archive has its WAL (docs/PITR.md). Throws Error(kInvalidArgument) on another value.
bool synchronous_requested(const Environment& env);
// KEEPSAKE_PITR_AUTO_ENABLE ("true" / "false", default true): `serve` enables the embedded
// cluster's archive by itself (PitrService). Throws Error(kInvalidArgument) on another value.
bool auto_enable_requested(const Environment& env);

// The archive folder for a Config: <data_dir>/pitr, or where `enable --location` put it.
std::string archive_dir_for(const Config& config);
// The archive folder `enable` uses: `location` (remembered in <data_dir>/pitr-location) or the
// default.
std::string choose_archive_dir(const Config& config, const std::string& location);

// ---- readiness of a server -------------------------------------------------------------------

struct Readiness {
  std::vector<std::string> missing;      // blocking: one SQL or configuration line each
  std::vector<std::string> recommended;  // not blocking (max_slot_wal_keep_size)
  std::string system_identifier;         // from IDENTIFY_SYSTEM, when it could connect
  int server_major = 0;
  bool ok() const { return missing.empty(); }
};

// What the configured role and server lack for archiving, as lines to paste. `synchronous`
// (KEEPSAKE_PITR_SYNCHRONOUS) adds the synchronous_standby_names line when the server lacks it.
Readiness check_readiness(const DatabaseConfig& db, bool synchronous = false);

// ---- enable ----------------------------------------------------------------------------------

struct BaseBackupInfo {
  std::string name;         // the folder under base/, a UTC stamp
  std::string start_lsn, end_lsn;
  int64_t start_us = 0, end_us = 0;  // microseconds since the epoch (UTC)
  uint64_t size = 0;        // bytes on disk
  bool verified = false;
  int64_t verified_us = 0;
  double seconds = 0;
};

struct EnableOptions {
  DatabaseConfig db;
  std::string archive_dir;
  std::chrono::seconds stream_check_timeout{120};
  bool synchronous = false;  // KEEPSAKE_PITR_SYNCHRONOUS: recommend the synchronous_standby_names line
};

struct EnableResult {
  BaseBackupInfo base;
  std::string streamed_to_lsn;
  bool slot_created = false;
};

// Checks readiness (Error kUnavailable listing the missing lines), creates the slot, takes and
// verifies the first base backup, and streams the WAL up to the server's current position.
EnableResult enable(const EnableOptions& options);

// Takes one more base backup into an enabled archive and verifies it, under the advisory lock
// PitrBaseBackup (Error kConflict while another session holds it: one base backup at a time).
// What a stopped or killed run left unfinished (base/*.partial) is removed first.
BaseBackupInfo take_base_backup(const DatabaseConfig& db, const std::string& archive_dir);
// The same, for a caller that holds that lock already.
BaseBackupInfo take_base_backup(const DatabaseConfig& db, const std::string& archive_dir, const db::HeldLock& held);
// Its fault-injection phases (common/fault_point.h), in order: pg_basebackup done (its folder still
// .partial), then verified (not yet renamed into place).
inline constexpr std::string_view kBaseBackupPhases[] = {"pitr.base-backup.taken", "pitr.base-backup.verified"};

// The position up to which the archive acknowledged the server's WAL (the slot's restart_lsn);
// "" when the server or the slot cannot be read.
std::string acknowledged_position(const DatabaseConfig& db, const std::string& archive_dir);

// Streams the WAL from the slot up to the server's current position, then returns (bounded).
std::string stream_until_current(const DatabaseConfig& db, const std::string& archive_dir,
                                 std::chrono::seconds timeout);

bool is_enabled(const std::string& archive_dir);

// ---- disable ---------------------------------------------------------------------------------

struct DisableResult {
  bool slot_dropped = false;  // false: there was no slot
  std::string archive_dir;    // stays on disk
  uint64_t archive_size = 0;
};

// Stops archiving: the archive is marked disabled (pitr.json becomes pitr-disabled.json, so a
// running serve's stream stops), the slot's walsender is ended and the slot dropped. Nothing in
// the archive is removed. Throws Error(kNotFound) when PITR is not enabled.
DisableResult disable(const DatabaseConfig& db, const std::string& archive_dir);

// ---- retention -------------------------------------------------------------------------------

struct PruneResult {
  std::string kept_from;                  // the oldest base backup kept ("" when none)
  std::vector<std::string> base_backups;  // removed, oldest first
  int wal_files = 0;                      // removed
  int restore_points = 0;                 // removed from the journal
  std::vector<std::string> abandoned;     // set-aside histories removed (abandoned/<stamp>-timeline-N)
  uint64_t bytes = 0;                     // freed
};

// Retention by recovery window, never leaving a gap: keeps the newest verified base backup that
// ended before now - window, everything newer, and all WAL from that backup's start on; removes
// the older base backups, WAL files and restore points. Removes nothing of those while no verified
// base backup ended before now - window (so the only verified backup is never removed). The
// histories that restores set aside (adopt_timeline) before now - window are removed too.
PruneResult prune(const std::string& archive_dir, int window_days, int64_t now_us);

// ---- schedule and alerts (run by serve) -------------------------------------------------------

struct SchedulerOptions {
  DatabaseConfig db;
  std::string archive_dir;
  std::chrono::milliseconds poll{60000};  // settings re-read and health checked this often
  // Tells the admin about a new problem; default: the JobFailed notification that failed
  // database backups use (job "PitrArchive").
  std::function<void(const std::string& problem)> notify;
};

// Base backups on pitr.baseBackup.cronExpression (keepsake-config), each followed by pruning to
// pitr.recoveryWindowDays; per tick only the instance that wins try_lock(PitrBaseBackup) takes
// it, and a tick recorded in keepsake.pitr_schedule_run is never run twice. Between ticks it
// checks the status: each new problem (lag over pitr.lagAlertSeconds, a lost or missing slot, a
// WAL gap, a failed base backup) gives one error line and one notification per streak.
class PitrScheduler {
 public:
  explicit PitrScheduler(SchedulerOptions options);
  ~PitrScheduler();
  PitrScheduler(const PitrScheduler&) = delete;
  PitrScheduler& operator=(const PitrScheduler&) = delete;
  void start();
  void stop();

  // One tick, as the thread runs it. True when this instance took the base backup.
  bool run_tick(std::chrono::system_clock::time_point tick);
  // Reads the status and reports the problems that are new since the last check.
  void check_health();
  // An enabled archive without a verified base backup (a first `enable` killed half way, or the
  // base backups lost) recovers nothing until the next tick, maybe a week away: takes one now,
  // at most once an hour after a failure. True when it took one. Runs at every wake.
  bool ensure_base_backup();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// ---- continuous streaming (run by serve) ------------------------------------------------------

// Keeps pg_receivewal running against the slot: restarted on exit with a backoff from 1 s to
// 60 s, a failure logged once per streak. `synchronous`: while pg_receivewal streams, the server
// waits for it at each commit (synchronous_standby_names, set with ALTER SYSTEM: a superuser
// role); while it does not, and once stop() begins, commits no longer wait (checked every 0.5 s).
class WalStreamer {
 public:
  WalStreamer(DatabaseConfig db, std::string archive_dir, bool synchronous = false);
  ~WalStreamer();
  WalStreamer(const WalStreamer&) = delete;
  WalStreamer& operator=(const WalStreamer&) = delete;
  void start();
  void stop();  // SIGINT to the child (it flushes), then joins
  int runs() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// What `keepsake serve` runs for PITR: for an enabled archive, the WAL stream and the scheduler.
// For the embedded cluster whose archive was never enabled (nor turned off with `pitr disable`),
// unless KEEPSAKE_PITR_AUTO_ENABLE=false, it first enables it, in the background, so that a first
// base backup never delays the server; a failure is a warning and a `pitr status` problem
// ("enable-failed"), never a reason to stop. An external database (DB_URL) is enabled only by
// `keepsake pitr enable`.
class PitrService {
 public:
  PitrService(const Config& config, DatabaseConfig db);
  ~PitrService();
  PitrService(const PitrService&) = delete;
  PitrService& operator=(const PitrService&) = delete;
  void start();
  // Waits for an enabling in progress to end, then stops the scheduler and the stream.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// ---- restore points --------------------------------------------------------------------------

struct RestorePoint {
  std::string name;
  std::string lsn;
  int64_t time_us = 0;
  std::string operation;
};

// "keepsake-<operation>-<yyyyMMddTHHmmssZ>". Pure.
std::string restore_point_name(const std::string& operation, std::chrono::system_clock::time_point when);

// pg_create_restore_point before a risky operation, logged and kept in the archive's journal.
// nullopt (and a debug log) when PITR is not enabled; a failure is logged as a warning and gives
// nullopt: a restore point never stops the operation it protects.
std::optional<RestorePoint> create_restore_point(db::Connection& conn, const std::string& archive_dir,
                                                 const std::string& operation);
std::optional<RestorePoint> create_restore_point(db::Connection& conn, const Config& config,
                                                 const std::string& operation);

// ---- status ----------------------------------------------------------------------------------

struct SlotState {
  bool exists = false;
  bool active = false;
  std::string restart_lsn;
  std::string wal_status;  // reserved / extended / unreserved / lost
};

struct Status {
  bool enabled = false;
  bool disabled = false;  // `pitr disable` left the archive on disk
  std::string archive_dir;
  SlotState slot;
  std::optional<int64_t> earliest_us, latest_us;  // the recovery window
  std::optional<int64_t> lag_bytes;
  std::optional<double> lag_seconds;
  std::string current_lsn;
  std::optional<BaseBackupInfo> last_base_backup;
  int base_backups = 0;
  int wal_segments = 0;
  uint64_t space_used = 0;
  std::vector<RestorePoint> restore_points;
  std::vector<std::string> problems;  // a lost slot, a WAL gap, an unreachable server
  // Parallel to problems: "unreachable", "slot-missing", "slot-lost", "slot-idle", "archive-full",
  // "wal-gap", "lag", "base-backup-failed", "no-base-backup"; when not enabled, "enable-failed".
  std::vector<std::string> problem_kinds;
};

// Reads the archive, and the server when it can be reached (problems say when not). The lag
// counts as a problem above `lag_alert_seconds`; unset: pitr.lagAlertSeconds from the database's
// keepsake-config (its default where there is none).
Status read_status(const DatabaseConfig& db, const std::string& archive_dir,
                   std::optional<int> lag_alert_seconds = std::nullopt);
// `pitr status --json` and GET /api/admin/pitr: enabled, disabled, archive, earliestRecoverable,
// latestRecoverable, lagBytes, lagSeconds, currentLsn, slot, lastBaseBackup, baseBackups,
// walSegments, spaceUsed, restorePoints, problems.
nlohmann::json status_json(const Status& status);

// ---- restore ---------------------------------------------------------------------------------

struct RecoveryTarget {
  enum class Kind { kLatest, kTime, kRestorePoint } kind = Kind::kLatest;
  int64_t time_us = 0;  // kTime
  std::string name;     // kRestorePoint
};

// "PITR to 2026-12-04T18:00:00.000000Z", "PITR to restore point <name>", "PITR to the latest
// archived state": names a restore in questions, logs and the scratch database's label. Pure.
std::string describe(const RecoveryTarget& target);
// The target as the maintenance API's Keepsake extension of restore_database (and the
// maintenance-mode record): {"restoreToTime": ISO 8601} | {"restoreToRestorePoint": name} |
// {"restoreToLatest": true}. Pure.
nlohmann::json target_json(const RecoveryTarget& target);
// Reads those keys of an object; nullopt when it has none of them. Throws Error(kInvalidArgument)
// when it has several or a bad value.
std::optional<RecoveryTarget> target_from_json(const nlohmann::json& object);
// Throws Error(kConflict) naming the recoverable window when the archive cannot reach the target:
// PITR not enabled, a time outside [earliest, latest], an unknown restore point.
void check_reachable(const Status& status, const RecoveryTarget& target);

struct RecoverOptions {
  std::string archive_dir;
  RecoveryTarget target;
  std::string database;  // must exist in the recovered cluster (the live database's name)
  std::string user;      // the role to check it with (trusted over the scratch socket)
  std::chrono::seconds timeout{3600};
  // Runs on the recovered database after the checks, before the scratch cluster stops; throwing
  // fails the recovery.
  std::function<void(db::Connection&)> inspect;
  // Runs next, still before the scratch cluster stops, with how to reach the recovered database
  // (its socket, trusted): the swap into the live library (dump_stream). Throwing fails the
  // recovery.
  std::function<void(const DatabaseConfig& recovered)> use;
  bool keep = true;  // false: the recovered data folder is removed once it stopped
  // Where the scratch cluster's folder (pitr-restore-<stamp>) is made; empty: the archive's
  // restore/. A data folder that will replace the embedded cluster's must be on its filesystem.
  std::string scratch_parent;
  // For --latest: positions the archive is known to hold (caught up to, acknowledged through the
  // slot); a recovery that ends before the furthest of them fails (Error kCorrupt) instead of
  // giving an older state.
  std::vector<std::string> reach_at_least;
  // Non-empty: this physical slot is created in the recovered cluster, reserving its WAL from the
  // new timeline's first segment on, so that once it goes live the archive streams on from there
  // without a gap (adopt_timeline).
  std::string slot;
};

struct RecoverResult {
  std::string data_dir;        // the recovered, stopped cluster's data folder
  std::string base_backup;     // its base backup's name
  std::string recovered_to;    // PostgreSQL's words on where recovery stopped
  int64_t migrations = 0;      // rows in kysely_migrations
  double seconds = 0;
};

// Recovers the archive into a scratch cluster, checks it and stops it. Any failure removes the
// scratch cluster and throws; the live database is never touched.
RecoverResult recover(const RecoverOptions& options);

// Stops and removes the scratch clusters of restores that were killed (a data folder under
// restore/ with a postmaster.pid, and every pitr-restore-* folder in scratch_parent); returns what
// it removed. Done by recover() itself first.
std::vector<std::string> remove_abandoned_scratch_clusters(const std::string& archive_dir,
                                                           const std::string& scratch_parent = "");

// ---- after a restore that replaced the embedded cluster's data folder ------------------------

struct AdoptResult {
  uint32_t timeline = 0;       // 0: nothing to do (no new timeline, or adopted already)
  std::string switch_lsn;      // where the new timeline left the old one
  std::string set_aside_dir;   // <archive>/abandoned/<stamp>, when something was set aside
  int wal_segments = 0;
  std::vector<std::string> base_backups;
  int restore_points = 0;
};

// The live cluster in `data_dir` runs on a new timeline that left the archive's at the restore's
// target. Makes the archive follow it, so that it keeps one line of history: the older
// timelines' WAL from the switch point's segment on, the base backups that end after the switch
// and the restore points after it (the history the restore undid) move to
// <archive>/abandoned/<stamp>/; the timeline's history file is copied into wal/; the archive
// records the timeline, so a second call does nothing. Reads only files (no connection).
AdoptResult adopt_timeline(const std::string& archive_dir, const std::string& data_dir);

// The recovered database as pg_dump's plain SQL, streamed (never on disk): each call starts
// pg_dump again. Every run gives the same bytes, since nothing else reaches the scratch cluster.
using ByteSource = std::function<size_t(uint8_t* buf, size_t max)>;
std::function<ByteSource()> dump_stream(const DatabaseConfig& recovered);

// Parses "2026-12-04T18:00:00Z", "...T18:00:00.25+01:00" into microseconds since the epoch.
// Throws Error(kInvalidArgument). Pure.
int64_t parse_iso8601(const std::string& text);
// "2026-12-04T18:00:00.250000Z". Pure.
std::string format_iso8601(int64_t micros);

}  // namespace keepsake::pitr
