// Storage's part of the server boot, in Immich's order (StorageService.onBootstrap): the
// media-location change under lock MediaLocation (700), then the mount checks under lock
// SystemFileMounts (300). Runs after the database boot (the tables must exist).
#pragma once

#include "config/config.h"
#include "storage/media_location.h"
#include "storage/mount_checks.h"

namespace keepsake::storage {

struct StorageBootResult {
  MediaLocationOutcome media_location;
  MountCheckReport mounts;
};

// Throws Error for an inconsistent media location, and for mount-check failures unless
// config.ignore_mount_check_errors.
StorageBootResult run_storage_boot(const DatabaseConfig& database, const Config& config);

}  // namespace keepsake::storage
