// The record of the last database-vs-disk scan (storage/file_scan.h), kept in Keepsake's schema so
// the admin console can say when the library was last compared with the disk, what was found, and
// which files: keepsake.storage_scan (one row of counts) and keepsake.storage_scan_file (the first
// kScanFilesKept problem files of each class, with the asset and the owner they belong to).
// scan_storage writes it; nothing else does.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "storage/file_scan.h"
#include "storage/layout.h"

namespace keepsake::storage {

// The classes of problem files, as ScanFinding::problem names them.
inline constexpr std::array<std::string_view, 4> kScanProblems = {"missing-irreplaceable", "missing-regenerable",
                                                                  "orphan", "foreign"};
// Problem files kept per class; the counts are always complete.
inline constexpr int64_t kScanFilesKept = 1000;

struct ScanRecord {
  std::string started_at, finished_at;  // ISO 8601 UTC
  ScanSummary summary;                  // counts only (by_kind is not kept)
};

// Replaces the record with this scan's counts and its first problem files. Applies Keepsake's
// pending migrations first. A failure (a read-only database, say) is logged as a warning:
// recording never fails a scan.
void record_scan(db::Connection& conn, const std::string& started_at, const ScanReport& report,
                 const StorageLayout& layout);

// The last scan; nullopt when none was recorded. Reads only.
std::optional<ScanRecord> read_last_scan(db::Connection& conn);

// One kept problem file. The asset (for originals and their generated files) and the owner are
// resolved when the scan is recorded: an orphan's owner is the user whose id or storage label
// names its folder (library/<label>/…, upload/<id>/…); empty when there is none.
struct ScanFile {
  std::string kind, column, row_id, asset_id, owner_id, owner_email, path;
};
struct ScanFilePage {
  int64_t total = 0;  // the class's count in the last scan
  int64_t kept = 0;   // how many of them are listed (at most kScanFilesKept)
  std::vector<ScanFile> files;
};

// The kept files of one class of the last scan, in path order, from `offset`. kInvalidArgument for
// an unknown class, kNotFound when no scan was recorded. Reads only.
ScanFilePage read_scan_files(db::Connection& conn, std::string_view problem, int64_t offset, int64_t limit);

}  // namespace keepsake::storage
