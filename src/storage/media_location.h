// The boot-time media-location change (spec §3.6, StorageService.onBootstrap): compares the
// detected media location with the one saved in system_metadata['MediaLocation'] and with sample
// paths from asset_file, and migrates the stored paths when the location moved. The decision is a
// pure function so every rule is testable; the boot step runs it under lock MediaLocation (700)
// and first finishes any interrupted path migration. Never touches files on disk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "storage/path_migration.h"

namespace keepsake::storage {

// ErrorMessages.InconsistentMediaLocation.
extern const char* const kInconsistentMediaLocation;

struct MediaLocationInputs {
  std::string current;                 // detected media location (Config::media_location)
  bool current_from_env = false;       // IMMICH_MEDIA_LOCATION is set
  std::optional<std::string> saved;    // system_metadata MediaLocation.location
  std::vector<std::string> samples;    // up to 3 asset_file paths
};

struct MediaLocationDecision {
  enum class Action { kNothing, kMigrate, kInconsistent };
  Action action = Action::kNothing;
  std::string previous;        // where the paths are believed to be now (when samples exist)
  bool save_current = false;   // store {location: current}
  bool paths_outside = false;  // no change, but no sample lies under the current location
};

// Immich's rules, with two fixes: locations compare without a trailing '/', and a sample belongs
// to a folder only at a '/' boundary ("/data2/x" is not under "/data"). Inconsistent when no
// sample lies under `previous` (Immich looks at the first sample only).
MediaLocationDecision decide_media_location(const MediaLocationInputs& in);

// True when `path` is `folder` or lies below it.
bool path_is_under(const std::string& path, const std::string& folder);

struct MediaLocationOutcome {
  MediaLocationDecision decision;
  std::optional<PathMigrationResult> resumed;   // an interrupted migration that was finished
  std::optional<PathMigrationResult> migrated;  // the migration this boot ran
};

// Reads the inputs and applies the decision with `conn` (the caller holds lock 700). Throws
// Error(kConflict, kInconsistentMediaLocation) in the inconsistent case, changing nothing.
MediaLocationOutcome apply_media_location(db::Connection& conn, const Config& config,
                                          const PathMigrationOptions& options = {});

// Boot: takes lock MediaLocation (700) and runs apply_media_location.
MediaLocationOutcome run_boot_media_location(const DatabaseConfig& database, const Config& config,
                                             const PathMigrationOptions& options = {});

}  // namespace keepsake::storage
