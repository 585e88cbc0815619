// Boot-time mount checks (spec §6.6): a `.immich` marker in every StorageFolder, created once,
// then read and rewritten at every start, and the `system-flags` record of which folders have
// been verified. A flagged folder whose marker cannot be read means the mount is missing or was
// replaced: that is fatal unless IMMICH_IGNORE_MOUNT_CHECK_ERRORS is true. Unlike Immich, every
// folder is checked (not only up to the first failure) and folders that passed are flagged even
// when another one failed. Never deletes or moves anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "storage/layout.h"

namespace keepsake::storage {

// "Please see https://docs.immich.app/administration/system-integrity#folder-checks for more
// information."
extern const char* const kFolderChecksDocs;

struct FolderCheck {
  StorageFolder folder;
  bool was_flagged = false;  // mountChecks[folder] was true before this run
  bool created = false;      // the marker was created by this run
  bool readable = false;
  bool writable = false;
  std::optional<std::string> error;  // Immich's error text for this folder
};

struct MountCheckReport {
  std::vector<FolderCheck> folders;  // in StorageFolder order
  bool flags_saved = false;          // system-flags was written by this run
  bool ok() const;
  // The first folder error, or "" when all passed.
  std::string first_error() const;
};

// Runs the checks with `conn` (the caller holds lock SystemFileMounts) and saves the flags. Never
// throws for a folder problem: the report says what failed.
MountCheckReport verify_mounts(db::Connection& conn, const StorageLayout& layout);

// Boot: takes lock SystemFileMounts (300), runs verify_mounts, logs, and throws
// Error(kIo, <first Immich error text>) on failure unless ignore_errors.
MountCheckReport run_boot_mount_checks(const DatabaseConfig& database, const StorageLayout& layout,
                                       bool ignore_errors);

// detect-install (maintenance worker, spec §6.6): per folder, whether the marker could be read
// and then rewritten, and how many entries other than `.immich` the folder holds. Needs no
// database and creates nothing.
struct PriorInstallFolder {
  StorageFolder folder;
  bool readable = false;
  bool writable = false;
  int64_t files = 0;
};
std::vector<PriorInstallFolder> detect_prior_install(const StorageLayout& layout);

}  // namespace keepsake::storage
