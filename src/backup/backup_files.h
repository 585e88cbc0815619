// The backups folder (<media>/backups) and Immich's naming rules for it (spec §5.1): building
// routine names, validating names before they touch the filesystem, listing in a deterministic
// order, retention, and the .sha256 sidecars Keepsake writes next to its backups.
// Must never open, list or delete anything whose name failed validation, and never follow a
// symlink out of the backups folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keepsake::backup {

// Immich's version of the schema Keepsake writes, and the version string Keepsake puts into
// backup names: parseable by Immich (`-v(.*)-`, semver, > 2.4 so it restores as a single-database
// dump) and only made of characters Immich's name rules accept.
inline constexpr const char* kImmichVersion = "2.7.5";
std::string backup_version_string();  // "2.7.5-keepsake.<KEEPSAKE_VERSION>"

// <prefix>immich-db-backup-<yyyyMMdd'T'HHmmss local>-v<version>-pg<pg version>.sql.gz
std::string make_backup_name(std::chrono::system_clock::time_point when,
                             const std::string& pg_server_version, const std::string& prefix = "");

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
// names deleted. Unlink errors are logged, not thrown, as Immich does.
std::vector<std::string> prune_backups(const std::string& folder, int keep_last);

// The full path of a validated name inside the folder; throws Error(kInvalidArgument) ("Invalid
// backup name!") for a bad name, and Error(kNotFound) when must_exist and it is not a regular file
// directly inside the folder (symlinks refused).
std::string resolve_backup_path(const std::string& folder, const std::string& name,
                                bool must_exist = true);

// Deletes validated names (and their sidecars). Any invalid name → nothing is deleted.
void delete_backups(const std::string& folder, const std::vector<std::string>& names);

// <file>.sha256 in sha256sum's format ("<hex>  <name>\n"), written atomically.
void write_sha256_sidecar(const std::string& file_path, const std::string& sha256_hex);
std::optional<std::string> read_sha256_sidecar(const std::string& file_path);

// fsync of a file path or a directory; throws Error(kIo).
void fsync_path(const std::string& path, bool directory);

}  // namespace keepsake::backup
