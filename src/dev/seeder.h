// `keepsake dev seed`: fills a bootstrapped Immich database with a realistic synthetic photo
// library (users, assets, EXIF, files, albums, tags, people, faces, stacks, memories, sessions,
// notifications, audit rows, CLIP-like embeddings) using COPY, in ONE transaction: it either all
// lands or nothing changes. Every constraint and trigger of the schema stays active; the two
// vector indexes are rebuilt with their exact definitions when a large load makes that faster.
// Must never seed a database that already holds users, and never disables triggers.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "db/connection.h"
#include "dev/embeddings.h"
#include "dev/library_model.h"
#include "dev/progress.h"

namespace keepsake::dev {

struct SeedReport {
  std::vector<std::pair<std::string, int64_t>> rows;  // table -> rows loaded, in load order
  int64_t total_rows = 0;
  int64_t bytes_sent = 0;
  double seconds = 0;            // whole seed, including the commit
  double index_seconds = 0;      // rebuilding the vector indexes (part of seconds)
  bool rebuilt_vector_indexes = false;
  bool dropped_vector_indexes = false;  // dropped for the load and left out (no rebuild)
  bool embeddings = true;                // smart_search / face_search were loaded
  EmbeddingStats smart, faces;
  uint64_t smart_clusters = 0;
  int64_t face_clusters = 0;
  double spread = 0;
  int64_t files_written = 0;
  double rows_per_second() const { return seconds > 0 ? total_rows / seconds : 0; }
};

struct SeedRunOptions {
  Progress::Style progress = Progress::Style::kAuto;
  // Rebuild clip_index / face_index after loading when at least this many vectors are loaded.
  int64_t rebuild_vector_indexes_from = 1000;
  // false: the indexes dropped for a large load are not rebuilt (dev seed --no-vector-indexes, for
  // benchmarks that never search: an HNSW build of 500k vectors takes hours on 2 cores). The
  // database then lacks clip_index / face_index (the schema check reports them missing).
  bool rebuild_vector_indexes = true;
};

// Seeds the database behind conn (which must be bootstrapped and hold no users yet).
// Throws Error(kInvalidArgument / kConflict) before changing anything when it cannot seed.
SeedReport seed_library(db::Connection& conn, const SeedOptions& options,
                        const SeedRunOptions& run = {});

// Writes a small file for every path the seeded rows hold (originals, whose SHA-1 is the asset's
// checksum, and every asset_file and person thumbnail), so that the rows and the disk agree;
// returns the count.
int64_t write_library_files(const LibraryModel& model);

// A human-readable summary: row counts per table, throughput, embedding distribution.
void print_report(const SeedReport& report, std::ostream& out);

}  // namespace keepsake::dev
