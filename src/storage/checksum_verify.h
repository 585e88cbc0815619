// `keepsake storage verify`: reads every original and compares it with `asset.checksum` (SHA-1 of
// the content, or of "path:" + originalPath where checksumAlgorithm = 'sha1-path', for external
// libraries). Finds bit rot, truncated and vanished originals. A pass over the library is
// incremental and resumable: the position (the last asset id checked) and the findings live in
// Keepsake's schema (keepsake.checksum_verify_pass / _finding), committed batch by batch, so a run
// that stops (a slice limit, a crash, a kill) is continued by the next one. Reads only; never
// changes a file or an Immich row.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::storage {

// What is wrong with one original.
//   missing       no file at originalPath
//   damaged       the content's SHA-1 differs from asset.checksum
//   unreadable    the file exists but cannot be read (permissions, I/O error)
//   path-changed  sha1-path asset: SHA-1("path:" + originalPath) differs from asset.checksum
struct ChecksumFinding {
  std::string asset_id;
  std::string owner_id;
  std::string owner_email;  // empty when the owner row is gone
  std::string path;
  std::string problem;
};

struct VerifyProgress {
  int64_t checked_in_pass = 0;
  int64_t total = 0;
  int64_t bytes_this_run = 0;
};

struct VerifyOptions {
  bool restart = false;             // start a new pass even when one is unfinished (--all)
  double max_mb_per_second = 0;     // read throttle, 0 = unthrottled
  int64_t max_assets = 0;           // stop after this many originals, 0 = until the pass ends
  int slices = 0;                   // > 0: stop after 1/slices of the originals (a nightly share of a pass)
  int batch_size = 500;             // originals per committed batch
  std::function<void(const VerifyProgress&)> on_progress;  // after each batch
};

struct VerifyResult {
  std::string pass_started_at;
  bool resumed = false;             // continued an unfinished pass
  bool pass_complete = false;
  int64_t checked_in_pass = 0;
  int64_t total = 0;                // originals the pass covers (assets not in status 'deleted')
  int64_t checked_this_run = 0;
  int64_t bytes_this_run = 0;
  double seconds = 0;
  std::vector<ChecksumFinding> findings;  // of the whole pass so far, sorted by problem and path
};

// Runs (or continues) a pass. Holds a Keepsake advisory lock for the run: a second concurrent run
// gets kConflict. Applies Keepsake's pending migrations first.
VerifyResult verify_checksums(db::Connection& conn, const VerifyOptions& options = {});

// The state of the latest pass, for a status display: nullopt when no pass was ever run. Reads only.
struct VerifyPassStatus {
  std::string started_at;                  // ISO 8601 UTC
  std::optional<std::string> finished_at;  // set when the pass covered every original
  int64_t checked = 0;
  int64_t total = 0;                       // originals a pass covers now
  int64_t finding_count = 0;
  std::vector<ChecksumFinding> findings;   // the first kStatusFindings, sorted by problem and path
};
// The latest pass with its first findings (a damaged library can have thousands: page through
// them with read_verify_findings). Reads only.
inline constexpr int64_t kStatusFindings = 100;
std::optional<VerifyPassStatus> read_verify_status(db::Connection& conn);

// A page of the latest pass's findings (sorted by problem and path) with their total; empty when
// no pass was ever run. Reads only.
struct FindingPage {
  int64_t total = 0;
  std::vector<ChecksumFinding> findings;
};
FindingPage read_verify_findings(db::Connection& conn, int64_t offset, int64_t limit);

// SHA-1 of a file's content read with a large buffer; nullopt with `error` set (errno text) when
// it cannot be opened or read, and `missing` set when it does not exist.
struct FileDigest {
  std::optional<std::string> sha1;  // 20 raw bytes
  int64_t bytes = 0;
  bool missing = false;
  std::string error;
};
FileDigest sha1_of_file(const std::string& path, std::vector<char>& buffer);

// SHA-1 of a byte string (20 raw bytes).
std::string sha1_of(std::string_view data);

}  // namespace keepsake::storage
