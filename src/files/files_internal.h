// What the files service's parts share (internal to src/files/): the restic child for the
// configured repository, the folders under KEEPSAKE_DATA_DIR/files, snapshots from restic's JSON,
// and copying a restored tree into the media folder without ever deleting there.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "files/files_service.h"
#include "files/restic.h"

namespace keepsake::files {

inline constexpr const char* kDbTag = "keepsake-db:";
inline constexpr const char* kDbSha256Tag = "keepsake-db-sha256:";
// The --host of every snapshot Keepsake makes; retention forgets only these.
inline constexpr const char* kSnapshotHost = "keepsake";
// The only tag of a snapshot restic has made while the scan beside it runs, until it gets its
// own tags (a run stopped in between leaves it so: no library point).
inline constexpr const char* kPendingTag = "keepsake-pending";

std::string files_dir(const FilesSettings& s);
Restic restic_for(const FilesSettings& s, const std::string& cwd = {});
Snapshot snapshot_from(const nlohmann::json& j);
// The snapshots with these ids (prefixes will do; all when empty), newest first.
std::vector<Snapshot> read_snapshots(const FilesSettings& s, const std::vector<std::string>& ids);

// A fresh, empty folder under files_dir for restic to restore into.
std::string fresh_staging(const FilesSettings& s, const std::string& name);

// Writes `from` over `to` through a temporary name and a rename.
void copy_into_place(const std::filesystem::path& from, const std::filesystem::path& to);
bool same_content(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace keepsake::files
