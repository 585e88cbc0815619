// `keepsake storage scan`: compares the paths stored in the database with the files on disk.
// Finds missing files (a row whose path does not exist), orphans (a file under a managed folder
// that no row references) and foreign paths (rows, other than external-library assets, pointing
// outside the media location). Missing files are split into irreplaceable ones (originals,
// sidecars, profile images: the user's own data) and regenerable ones (thumbnails, previews,
// full-size images, encoded videos, person thumbnails: Immich's jobs make them again; see
// storage/file_kind.h). Memory stays bounded: the rows arrive sorted through a server-side
// cursor and the managed folders are walked in the same byte order, so the two streams are merged;
// findings go to temporary files, not memory; the counts and the first findings of each class are
// recorded in Keepsake's schema (storage/scan_record.h).
// Never deletes anything; it only moves orphans aside when asked to.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "db/connection.h"
#include "storage/layout.h"

namespace keepsake::storage {

struct ScanProgress {
  int64_t rows_done = 0;
  int64_t rows_total = 0;
  int64_t files_seen = 0;
};

struct ScanOptions {
  int fetch_size = 5000;
  int64_t progress_every = 100000;  // rows
  std::function<void(const ScanProgress&)> on_progress;
};

// Missing files of one class, counted per kind (file_kind.h's names).
struct MissingCount {
  int64_t count = 0;
  std::map<std::string, int64_t> by_kind;
};

struct ScanSummary {
  int64_t rows = 0;
  int64_t files = 0;
  MissingCount irreplaceable;
  MissingCount regenerable;
  int64_t orphans = 0;
  int64_t foreign = 0;
  int64_t moved = 0;
  int64_t not_moved = 0;
};

// One problem file of a scan.
struct ScanFinding {
  std::string problem;  // scan_record.h's class: missing-irreplaceable, missing-regenerable, orphan, foreign
  std::string kind;     // file_kind.h's name (missing files only)
  std::string column;   // the row's column, e.g. "asset.originalPath" (empty for orphans)
  std::string id;       // the row's id (empty for orphans)
  std::string path;
};

// The findings of one scan, spooled to temporary files.
class ScanReport {
 public:
  ScanReport();
  ~ScanReport();
  ScanReport(const ScanReport&) = delete;
  ScanReport& operator=(const ScanReport&) = delete;

  // `kind` decides the class (file_kind.h).
  void add_missing(const std::string& kind, const std::string& column, const std::string& id,
                   const std::string& path);
  void add_orphan(const std::string& path);
  void add_foreign(const std::string& column, const std::string& id, const std::string& path);

  // Calls fn for each orphan path, in sorted order.
  void for_each_orphan(const std::function<void(const std::string&)>& fn) const;
  // Calls fn for the first `limit` findings of each class, each class in path order.
  void for_each_finding(int64_t limit, const std::function<void(const ScanFinding&)>& fn) const;
  void write_text(std::ostream& out, const std::string& media_location) const;
  void write_json(std::ostream& out, const std::string& media_location) const;

  ScanSummary summary;

 private:
  std::FILE* irreplaceable_;
  std::FILE* regenerable_;
  std::FILE* orphans_;
  std::FILE* foreign_;
};

// The folders walked for orphans: every StorageFolder except backups (no row references those).
bool is_scanned_folder(StorageFolder folder);

// Runs the scan and records its counts (storage/scan_record.h); the caller's connection must not be
// inside a transaction.
void scan_storage(db::Connection& conn, const StorageLayout& layout, ScanReport& report,
                  const ScanOptions& options = {});

// Moves every orphan of the report to <dir>/<path relative to the media location>, never
// overwriting; counts moved / not moved in report.summary. `dir` must lie outside the scanned
// folders (kInvalidArgument otherwise).
void move_orphans(const StorageLayout& layout, ScanReport& report, const std::string& dir);

// Throws kInvalidArgument when `dir` is unusable as an orphan destination.
void check_orphan_destination(const StorageLayout& layout, const std::string& dir);

}  // namespace keepsake::storage
