#include "storage/boot.h"

#include "common/log.h"

namespace keepsake::storage {

StorageBootResult run_storage_boot(const DatabaseConfig& database, const Config& config) {
  StorageBootResult result;
  PathMigrationOptions options;
  options.on_progress = [](const PathMigrationProgress& p) {
    spdlog::info("Migrating file paths: {}/{} ({} {}/{})", p.done, p.total, p.column,
                 p.column_done, p.column_total);
  };
  result.media_location = run_boot_media_location(database, config, options);
  result.mounts = run_boot_mount_checks(database, StorageLayout(config.media_location),
                                        config.ignore_mount_check_errors);
  return result;
}

}  // namespace keepsake::storage
