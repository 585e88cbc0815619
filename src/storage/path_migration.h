// Rewrites the path prefix of every path column Immich stores (spec §3.6: asset.originalPath,
// asset_file.path, person.thumbnailPath, user.profileImagePath) from one folder to another.
// Unlike Immich's one-transaction UPDATE without WHERE, only rows whose path is the old folder or
// lies below it ("<from>/...") are touched; the work runs in batches, each batch its own
// transaction that also records the progress in system_metadata, so a killed migration resumes
// where it stopped. A large column whose target does not lie below its source is walked in
// physical order (TID ranges of ~batch_size matching rows: each heap page is read and written
// once, as a sequential UPDATE would), then swept once for rows a concurrent writer added or moved
// behind the walk; otherwise (nested target, small column) batches are a keyset on id, which never
// rewrites a row twice. Callers hold lock MediaLocation (700). Never touches files on disk.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"

namespace keepsake::storage {

// system_metadata key of an unfinished path migration (Keepsake's own; Immich ignores it).
inline constexpr const char* kPathMigrationKey = "keepsake-path-migration";

struct PathColumn {
  const char* table;
  const char* column;
  std::string label() const { return std::string(table) + "." + column; }
};

// The path columns of spec §3.6, in migration order.
const std::vector<PathColumn>& path_columns();

struct ColumnCount {
  std::string column;  // "asset.originalPath"
  int64_t rows = 0;
};

struct PathMigrationProgress {
  std::string column;
  int64_t column_done = 0;
  int64_t column_total = 0;
  int64_t done = 0;   // all columns
  int64_t total = 0;  // all columns
};

struct PathMigrationOptions {
  int batch_size = 10000;
  // Called after each committed batch.
  std::function<void(const PathMigrationProgress&)> on_progress;
  // Called inside each batch's transaction, before its commit (fault injection in tests).
  std::function<void(const PathMigrationProgress&)> before_commit;
};

struct PathMigrationResult {
  std::string from, to;
  std::vector<ColumnCount> updated;  // rows rewritten by this run, per column
  bool resumed = false;              // continued an interrupted run
  bool media_location_saved = false; // MediaLocation was `from` and now is `to`
  int64_t total() const;
};

// "/a/b/" -> "/a/b"; throws kInvalidArgument for an empty path or one holding a NUL.
std::string normalize_prefix(const std::string& path);

// Rows that a migration from `from` would rewrite, per column (one scan of each table).
std::vector<ColumnCount> count_paths_under(db::Connection& conn, const std::string& from);

// An interrupted migration recorded in system_metadata, if any: {from, to}.
struct PendingPathMigration {
  std::string from, to;
};
std::optional<PendingPathMigration> pending_path_migration(db::Connection& conn);

// Migrates (or resumes migrating) from -> to. A pending migration with another from/to is a
// kConflict error: finish or abandon it first. At the end the progress record is removed and,
// when system_metadata's MediaLocation was `from`, it becomes `to` (same transaction).
PathMigrationResult migrate_paths(db::Connection& conn, const std::string& from,
                                  const std::string& to, const PathMigrationOptions& options = {});
// Its fault-injection phases (common/fault_point.h), in order.
inline constexpr std::string_view kMigratePathsPhases[] = {"storage.paths.started", "storage.paths.batch",
                                                           "storage.paths.finish"};

// Drops the progress record of an interrupted migration (rows already rewritten stay rewritten).
void abandon_path_migration(db::Connection& conn);

}  // namespace keepsake::storage
