// `keepsake files`: the media folder's files backed up with restic (deduplicated, encrypted, local
// or remote), each snapshot tagged with the database backup it pairs with and the database-vs-
// disk scan it was taken after. restic runs as a child process (files/restic.h), never through a
// shell; its password comes from RESTIC_PASSWORD_FILE or RESTIC_PASSWORD, or from the file `init`
// creates with mode 0600 under KEEPSAKE_DATA_DIR, and never appears in argv or logs.
// Never deletes a file of the media folder: an in-place restore only adds missing files and
// rewrites different ones.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "config/config.h"
#include "db/connection.h"
#include "storage/checksum_verify.h"
#include "storage/file_scan.h"

namespace keepsake::files {

struct FilesSettings {
  std::string media_location;
  std::string data_dir;
  std::string repository;                   // empty = the ones `init` saved
  std::map<std::string, std::string> env;   // Keepsake's own environment (RESTIC_*, credentials)
  // restic's `-o key=value` options for `repository` (empty: those saved with it by `init`).
  std::vector<std::string> options;
};

// A restic repository and restic's `-o` options for it (such as sftp.command=ssh -F <config>
// <host> -s sftp). Saved by `files init` in <data dir>/files/repositories.json; only the command
// line sets them, never a web request (sftp.command names a program restic runs).
struct Repository {
  std::string url;  // a path or a restic URL
  std::vector<std::string> options;
};

// The settings of the running process: its media location, data dir and environment, the saved
// repositories.
FilesSettings files_settings_of(const Config& config);

// The repository given (with the options given, or else those saved with it), or the first one
// `init` saved (the primary); kNotFound (with the hint to init) when none.
std::string configured_repository(const FilesSettings& settings);
// Every repository a backup goes to: the one given, or all that `init` saved, the primary first
// (3-2-1: a local copy and an off-site one in one setting). kNotFound when none.
std::vector<Repository> configured_repositories(const FilesSettings& settings);
// `settings` narrowed to one repository.
FilesSettings for_repository(FilesSettings settings, const Repository& repository);

// The folder of a local repository ("/path" or "local:/path"); nullopt for a remote one (sftp:,
// rest:, s3:, ...).
std::optional<std::string> local_repository_path(const std::string& repository);

// The repository as it may be shown: a URL's user and password (rest:https://user:secret@host/)
// become "***".
std::string shown_repository(std::string repository);

// Folders backed up by default (the user's data and the database backups), and the regenerable
// ones added on request.
const std::vector<std::string>& default_folders();
const std::vector<std::string>& regenerable_folders();

struct InitResult {
  std::string repository;
  std::optional<std::string> created_password_file;  // set when Keepsake made the password
};
// Creates the repository and adds it to the saved ones (the first becomes the primary; another
// init of a saved one replaces its options). A local path inside the media location is refused
// (kInvalidArgument).
InitResult init_repository(const FilesSettings& settings);

struct Snapshot {
  std::string id;
  std::string short_id;
  std::string time;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::string db_backup;  // the keepsake-db: tag's value, "" without one
};

// A database backup a snapshot pairs with.
struct DatabaseBackupRef {
  std::string filename;  // in <media>/backups
  std::string sha256;
};

struct BackupOptions {
  bool include_regenerable = false;  // thumbs/ and encoded-video/ too
  // Set: a database backup (the DatabaseBackup job) is made right before the snapshot when asked
  // or when no routine backup verifies; unset: such a snapshot pairs with none (no library point).
  std::optional<DatabaseConfig> database;
  bool new_database_backup = false;
  // Pair with this one (just made, so verified as it was written) instead of looking for one.
  std::optional<DatabaseBackupRef> paired_database_backup;
  // Called at each phase ("scan", "database", "snapshot") and with restic's percent done
  // (-1: unknown).
  std::function<void(const std::string& phase, double percent)> progress;
};

// The snapshot one repository received in a backup to several.
struct RepositorySnapshot {
  std::string repository;  // as shown (shown_repository)
  Repository configured;   // as configured (never shown: a URL may hold credentials)
  Snapshot snapshot;       // no id when it failed
  std::string error;       // the failure's full message; "" when the snapshot was made
  ErrorKind error_kind = ErrorKind::kInternal;
};

struct BackupResult {
  // The snapshot, counts and unreadable files of the first repository that took the snapshot.
  Snapshot snapshot;
  std::vector<std::string> folders;
  storage::ScanSummary scan;
  int64_t files_new = 0, files_changed = 0, files_unmodified = 0;
  int64_t bytes_processed = 0, bytes_added = 0;
  std::vector<std::string> unreadable;  // files restic could not read (snapshot still made)
  bool database_backup_made = false;     // the paired database backup was made for this snapshot
  std::vector<RepositorySnapshot> repositories;  // each configured repository, the primary first
  bool some_failed() const;
};
// Pairs a database backup (the newest routine one that verifies and matches its .sha256 sidecar,
// or one made now), then snapshots the folders that exist into each configured repository (one
// failing does not stop the others; it is listed in `repositories`, and when every one fails the
// first failure is thrown), tagged keepsake-db:<backup or "none">, keepsake-db-sha256:<its
// SHA-256>, keepsake-missing-irreplaceable:N, keepsake-missing-regenerable:N, keepsake-orphans:N:
// the counts of the database-vs-disk scan (the caller's connection, not in a transaction), which
// runs beside the primary's restic run (that snapshot is tagged once both are done; the other
// repositories' after it). The scan's full report is kept as <data dir>/files/scans/<snapshot
// id>.json. A scan that fails fails the backup (after restic ends).
BackupResult backup_files(db::Connection& conn, const FilesSettings& settings,
                          const BackupOptions& options = {});
// Its fault-injection phases (common/fault_point.h), in order: restic running (its child
// started, the scan beside it); scanned (restic may still run); the snapshot written (restic
// finished: the snapshot exists, pending, without its tags: no library point yet); recorded (the
// snapshot tagged, so the library point exists, and the scan report kept).
inline constexpr std::string_view kFilesBackupPhases[] = {
    "files.backup.restic-running", "files.backup.scanned", "files.backup.snapshot-written",
    "files.backup.recorded"};

// Stops using a saved repository (`settings.repository`): it leaves the saved list, and the next
// one becomes the primary when it was the primary. The repository and its snapshots are left as
// they are. kNotFound when it is not saved. Returns the repositories still saved.
std::vector<Repository> remove_repository(const FilesSettings& settings);

// True when a repository is given or `init` saved one (runs nothing).
bool repository_configured(const FilesSettings& settings);
// Newest first.
std::vector<Snapshot> list_snapshots(const FilesSettings& settings);
// `settings` narrowed to the repository that holds `snapshot` (an id or a prefix): the one given,
// or else the first saved one that holds it, the primary first ("latest": the primary). A
// repository that cannot be read is skipped; kNotFound (naming those skipped) when none holds it.
FilesSettings repository_holding(const FilesSettings& settings, const std::string& snapshot);

struct CheckResult {
  bool ok = false;
  std::string output;
};
// `restic check` of the repository `settings` names (or the primary), also reading `read_data` of
// the packs' data in restic's --read-data-subset form ("5%", or "n/t": the n-th of t parts;
// "" = the structure only). The outcome, passed, damaged or failed to run, is recorded for that
// repository (repository_checks); a pass marks the snapshots it covered as checked. A failure to
// run (locked, unreachable, wrong password) is thrown after it is recorded.
CheckResult check_repository(const FilesSettings& settings, const std::string& read_data = "");

// A library point: a finished file snapshot and the database backup it pairs with. restic writes
// a snapshot only when its run finishes, so a killed run leaves none and is never a point.
struct LibraryPoint {
  Snapshot snapshot;
  std::string repository;  // the repository that holds the snapshot (as configured: not shown)
  std::string database_backup;  // a file name in <media>/backups
  std::string database_sha256;  // as paired ("" for snapshots made before the tag existed)
  // verified: in backups/ with the paired .sha256 sidecar; changed: the sidecar differs now;
  // in-snapshot-only: gone from backups/ (the snapshot holds it); unknown: no SHA-256 to compare.
  std::string database_state;
  std::string files_checked_at;  // a passed `files check` that covered the snapshot; "" = none
  int files_read_data_percent = 0;
  int64_t missing_irreplaceable = -1, missing_regenerable = -1, orphans = -1;  // the scan before
};
// Newest first, from every configured repository. Snapshots paired with no database backup are
// not points. A repository that cannot be read is thrown, or, when `unreadable` is given, added
// to it ("<repository as shown>: <error>") while the others are listed.
std::vector<LibraryPoint> list_library_points(const FilesSettings& settings,
                                              std::vector<std::string>* unreadable = nullptr);
// The points among `snapshots` (as list_snapshots gave them), in their order.
std::vector<LibraryPoint> library_points_of(const FilesSettings& settings,
                                            const std::vector<Snapshot>& snapshots);
// As `backup list --json` shows a point (docs/FILES.md).
nlohmann::json library_point_json(const LibraryPoint& p);
// The checks of every configured repository, as GET /api/admin/files shows them: [{repository (as
// shown), last: {time, ok, readData, error} | null, lastPassed: {time, readData, readDataPercent,
// snapshots (how many it covered)} | null}], the primary first.
nlohmann::json repository_checks(const FilesSettings& settings);
// "latest" or a snapshot id (a prefix will do) in any configured repository; kNotFound otherwise.
LibraryPoint find_library_point(const FilesSettings& settings, const std::string& id);
// A repository was given or `files init` saved one.
bool has_repository(const FilesSettings& settings);
// Records a check's outcome for the repository `settings` names; a pass covers every snapshot
// there is now (for the points' state).
void record_check(const FilesSettings& settings, const std::string& read_data, bool ok,
                  const std::string& error);

struct RestoreOptions {
  std::string snapshot = "latest";
  std::string target;  // a new or empty folder; empty = in place, into the media location
  // In place: files under the snapshot's folders that it does not hold are moved aside, into
  // <media>/.keepsake-extras/<time>/ (never removed).
  bool delete_extra = false;
  // Set: called about once a second with the bytes done of the snapshot's size, at each phase
  // ("restore": restic writing the files, "compare": in place, each compared with the media
  // folder's copy and written when missing or different).
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};
struct RestoreResult {
  std::string target;
  int64_t written = 0;    // files created or rewritten (in place) / all files (new folder)
  int64_t unchanged = 0;  // in place: files already identical
  int64_t extras_moved = 0;
  std::string extras_folder;  // where they went
};
RestoreResult restore_files(const FilesSettings& settings, const RestoreOptions& options);

// Brings <media>/backups/<filename> (and its .sha256 sidecar) back from the snapshot when it is
// not in the backups folder any more. Returns true when it was fetched.
bool fetch_database_backup(const FilesSettings& settings, const std::string& snapshot,
                           const std::string& filename);

struct RepairedFile {
  std::string path;
  std::string snapshot;    // the short id it came from
  std::string repository;  // the repository that held it (as shown)
};
struct RepairResult {
  std::vector<RepairedFile> repaired;
  std::vector<std::string> not_found;   // no snapshot holds a good copy
  std::vector<std::string> unreadable;  // "<repository>: <error>" for each repository that failed
};
// `files restore --repair`: runs the scan and a new checksum-verification pass, then brings back
// exactly the files the scan finds missing and the originals the verification finds damaged or
// missing, each from the newest snapshot holding a good copy (an original's SHA-1 must equal
// asset.checksum): the primary repository's first, then each other saved one's (or only the
// repository given); a repository that fails is listed in `unreadable` and the next one is tried.
// Writes through a temporary name and a rename; deletes nothing.
RepairResult repair_files(db::Connection& conn, const FilesSettings& settings);

// The proof after a library restore: every original the database references is present and
// matches its SHA-1. In the media folder: the scan and a new checksum-verification pass; in a copy
// of it (`root`, a restore target): each original's SHA-1 under root.
struct LibraryProof {
  int64_t originals_checked = 0;
  int64_t missing_irreplaceable = 0;  // the scan's (media folder only)
  std::vector<storage::ChecksumFinding> findings;
  bool ok() const { return missing_irreplaceable == 0 && findings.empty(); }
};
LibraryProof prove_library(db::Connection& conn, const FilesSettings& settings,
                           const std::string& root = {});

// Retention of snapshots, as the database backups' (keepLastAmount) plus optional calendar rules.
struct ForgetPolicy {
  int keep_last = 14;
  int keep_daily = 0, keep_weekly = 0, keep_monthly = 0;  // 0 = not used
};
struct ForgetResult {
  int64_t kept = 0, removed = 0;
};
// The policy in force: system-config's backup.database.keepLastAmount (as for the database
// backups) plus keepsake-config's files.retention calendar rules.
ForgetPolicy retention_policy(db::Connection& conn);
// `restic forget --prune` of the repository `settings` names, over Keepsake's own snapshots only
// (one group); another client's snapshots in the same repository are left alone.
ForgetResult forget_snapshots(const FilesSettings& settings, const ForgetPolicy& policy);

}  // namespace keepsake::files
