// The backups folder (<media>/backups) and Immich's naming rules for it (spec §5.1): building
// routine names, validating names before they touch the filesystem, listing in a deterministic
// order, retention, and the .sha256 sidecars Keepsake writes next to its backups.
// Must never open, list or delete anything whose name failed validation, and never follow a
// symlink out of the backups folder.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_sync.h"

namespace keepsake::backup {

// The version part of a backup name. Immich writes its own server version; Keepsake writes the
// Immich release the database's migrations correspond to (migrations::recorded_immich_release):
// "v2.7.5" -> "2.7.5", none -> "unknown" (a newer or older Immich's database, or no Immich
// schema at all). Both stay parseable by Immich: its routine pattern `-v.*-pg` accepts them, and
// `-v(.*)-` reads "unknown", which is no semver and so never `<= 2.4`: Immich restores the file
// as the single-database dump it is.
inline constexpr const char* kUnknownImmichVersion = "unknown";
std::string backup_version_string(const std::optional<std::string>& immich_release);

// <prefix>immich-db-backup-<yyyyMMdd'T'HHmmss local>-v<version>-pg<pg version>.sql.gz
std::string make_backup_name(std::chrono::system_clock::time_point when,
                             const std::string& pg_server_version, const std::string& version,
                             const std::string& prefix = "");

// ^[\d\w-.]+\.sql(?:\.gz)?$ (list/download/delete/upload/restore).
bool is_valid_backup_name(const std::string& name);
// The route parameter rule ^[a-zA-Z0-9_\-.]+$.
bool is_valid_filename_param(const std::string& name);
// Routine backups subject to retention (old and new style).
bool is_routine_backup_name(const std::string& name);
// Leftovers of failed backups (always removed by cleanup).
bool is_failed_backup_name(const std::string& name);
// The first capture of -v(.*)- (greedy), as Immich reads it; nullopt without one.
std::optional<std::string> version_from_name(const std::string& name);
// uploaded-<basename>, after validating the basename (and that the result fits in a file name);
// throws Error(kInvalidArgument).
inline constexpr std::string_view kUploadedPrefix = "uploaded-";
std::string uploaded_backup_name(const std::string& original_name);

std::string backups_folder(const std::string& media_location);

// The `timezone` of Immich's backup list: the server's IANA zone (TZ, else /etc/localtime, else
// /etc/timezone, else UTC) as Immich's JavaScript names it (immich_timezone_name).
std::string server_timezone();
// JavaScript's Intl names every IANA alias of UTC (Debian's default Etc/UTC among them) "UTC"
// (ECMA-402 CanonicalizeTimeZoneName; checked with Node: TZ=Etc/UTC, Etc/GMT, GMT0, Zulu, ... all
// give "UTC"); other zones keep their IANA name. (Node may spell some other links differently,
// e.g. Asia/Kolkata as Asia/Calcutta; Keepsake keeps the system's spelling for those.) Pure.
std::string immich_timezone_name(const std::string& iana_zone);

struct BackupFile {
  std::string filename;
  uint64_t filesize = 0;
};

// Valid names only, regular files only (no symlinks), newest first: name descending, which for
// Immich's timestamped names is newest first; uploaded-* and restore-point-* sort by name among
// them. Missing folder = empty list.
std::vector<BackupFile> list_backups(const std::string& folder);

// The names retention deletes: routine names sorted descending beyond the first keep_last, plus
// every failed-backup leftover. Pure.
std::vector<std::string> names_to_prune(const std::vector<std::string>& names, int keep_last);

// Applies names_to_prune to the folder (and removes the sidecars of pruned files). Returns the
// names deleted. Also removes the hidden part files of uploads that were killed (untouched for a
// day). Unlink errors are logged, not thrown, as Immich does.
std::vector<std::string> prune_backups(const std::string& folder, int keep_last);

// The full path of a validated name inside the folder; throws Error(kInvalidArgument) ("Invalid
// backup name!") for a bad name, and Error(kNotFound) when must_exist and it is not a regular file
// directly inside the folder (symlinks refused).
std::string resolve_backup_path(const std::string& folder, const std::string& name,
                                bool must_exist = true);

// Deletes validated names (and their sidecars). Any invalid name → nothing is deleted.
void delete_backups(const std::string& folder, const std::vector<std::string>& names);

// Backups, their sidecars and uploads are 0644 whatever the umask, as Immich's are under its
// usual 022 umask, so that an Immich running as another user can list and restore them.
inline constexpr mode_t kBackupFileMode = 0644;
// fchmod(fd, kBackupFileMode); throws Error(kIo).
void make_readable_by_all(int fd, const std::string& path);

// <file>.sha256 in sha256sum's format ("<hex>  <name>\n"), written atomically.
void write_sha256_sidecar(const std::string& file_path, const std::string& sha256_hex);
std::optional<std::string> read_sha256_sidecar(const std::string& file_path);

}  // namespace keepsake::backup
