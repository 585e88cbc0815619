// `keepsake files`: the media folder's files backed up with restic (deduplicated, encrypted, local
// or remote), each snapshot tagged with the database backup it pairs with and the database-vs-
// disk scan it was taken after. restic runs as a child process (files/restic.h), never through a
// shell; its password comes from RESTIC_PASSWORD_FILE or RESTIC_PASSWORD, or from the file `init`
// creates with mode 0600 under KEEPSAKE_DATA_DIR, and never appears in argv or logs.
// Never deletes a file of the media folder: an in-place restore only adds missing files and
// rewrites different ones.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"
#include "storage/file_scan.h"

namespace keepsake::files {

struct FilesSettings {
  std::string media_location;
  std::string data_dir;
  std::string repository;                   // empty = the one `init` saved
  std::map<std::string, std::string> env;   // Keepsake's own environment (RESTIC_*, credentials)
};

// Folders backed up by default (the user's data and the database backups), and the regenerable
// ones added on request.
const std::vector<std::string>& default_folders();
const std::vector<std::string>& regenerable_folders();

struct InitResult {
  std::string repository;
  std::optional<std::string> created_password_file;  // set when Keepsake made the password
};
// Creates the repository and saves it as the default. A local path inside the media location is
// refused (kInvalidArgument).
InitResult init_repository(const FilesSettings& settings);

struct Snapshot {
  std::string id;
  std::string short_id;
  std::string time;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::string db_backup;  // the keepsake-db: tag's value, "" without one
};

struct BackupOptions {
  bool include_regenerable = false;  // thumbs/ and encoded-video/ too
};

struct BackupResult {
  Snapshot snapshot;
  std::vector<std::string> folders;
  storage::ScanSummary scan;
  int64_t files_new = 0, files_changed = 0, files_unmodified = 0;
  int64_t bytes_processed = 0, bytes_added = 0;
  std::vector<std::string> unreadable;  // files restic could not read (snapshot still made)
};
// Scans first (the caller's connection, not in a transaction), then snapshots the folders that
// exist, tagged keepsake-db:<newest database backup or "none">, keepsake-missing-irreplaceable:N,
// keepsake-missing-regenerable:N, keepsake-orphans:N.
BackupResult backup_files(db::Connection& conn, const FilesSettings& settings,
                          const BackupOptions& options = {});

// Newest first.
// True when a repository is given or `init` saved one (runs nothing).
bool repository_configured(const FilesSettings& settings);
std::vector<Snapshot> list_snapshots(const FilesSettings& settings);

struct CheckResult {
  bool ok = false;
  std::string output;
};
// `restic check`, reading `read_data_percent` % of the packs (0 = structure only).
CheckResult check_repository(const FilesSettings& settings, int read_data_percent = 0);

struct RestoreOptions {
  std::string snapshot = "latest";
  std::string target;  // a new or empty folder; empty = in place, into the media location
};
struct RestoreResult {
  std::string target;
  int64_t written = 0;    // files created or rewritten (in place) / all files (new folder)
  int64_t unchanged = 0;  // in place: files already identical
};
RestoreResult restore_files(const FilesSettings& settings, const RestoreOptions& options);

}  // namespace keepsake::files
