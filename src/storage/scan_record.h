// The record of the last database-vs-disk scan (storage/file_scan.h), kept in Keepsake's schema
// (keepsake.storage_scan, one row) so the admin console can say when the library was last compared
// with the disk and what was found. scan_storage writes it; nothing else does.
#pragma once

#include <optional>
#include <string>

#include "db/connection.h"
#include "storage/file_scan.h"

namespace keepsake::storage {

struct ScanRecord {
  std::string started_at, finished_at;  // ISO 8601 UTC
  ScanSummary summary;                  // counts only (by_kind is not kept)
};

// Replaces the record with this scan's counts. Applies Keepsake's pending migrations first. A
// failure (a read-only database, say) is logged as a warning: recording never fails a scan.
void record_scan(db::Connection& conn, const std::string& started_at, const ScanSummary& summary);

// The last scan; nullopt when none was recorded. Reads only.
std::optional<ScanRecord> read_last_scan(db::Connection& conn);

}  // namespace keepsake::storage
