#include "dev/seeder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "dev/seed_writers.h"

namespace keepsake::dev {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Refuses, before anything changes, a database that is not bootstrapped or already has users.
void check_target(db::Connection& conn) {
  auto r = conn.exec(
      "SELECT to_regclass('public.asset') IS NOT NULL, to_regclass('public.smart_search') IS NOT "
      "NULL, to_regclass('public.face_search') IS NOT NULL",
      {}, "look for the Immich schema");
  if (!r.boolean(0, 0) || !r.boolean(0, 1) || !r.boolean(0, 2)) {
    throw Error(ErrorKind::kInvalidArgument,
                "database '" + conn.config().dbname + "' has no Immich schema to seed",
                "bootstrap it first (start `keepsake serve` once, or let `keepsake dev seed` run "
                "against a database Keepsake has booted)");
  }
  conn.exec("LOCK TABLE \"user\" IN SHARE ROW EXCLUSIVE MODE", {}, "lock the user table");
  if (conn.exec("SELECT EXISTS (SELECT FROM \"user\")", {}, "count users").boolean(0, 0)) {
    throw Error(ErrorKind::kConflict,
                "database '" + conn.config().dbname + "' already holds users; dev seed only "
                "fills an empty library",
                "seed a fresh database (createdb, then point DB_URL at it)");
  }
}

struct VectorIndex {
  std::string name, definition;
};

std::vector<VectorIndex> drop_vector_indexes(db::Connection& conn) {
  auto r = conn.exec(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname IN "
      "('clip_index', 'face_index') ORDER BY indexname",
      {}, "read the vector index definitions");
  std::vector<VectorIndex> indexes;
  for (int i = 0; i < r.rows(); ++i) indexes.push_back({r.text(i, 0), r.text(i, 1)});
  for (const auto& index : indexes) {
    conn.exec("DROP INDEX public." + db::quote_ident(index.name), {},
              "drop " + index.name + " for the bulk load");
  }
  return indexes;
}

void rebuild_vector_indexes(db::Connection& conn, const std::vector<VectorIndex>& indexes,
                            int64_t vectors) {
  // pgvector builds HNSW in memory when the graph fits: about 3 KiB per 512-d vector.
  int64_t mb = std::clamp<int64_t>(vectors * 3 / 1024 + 64, 64, 4096);
  conn.exec("SET LOCAL maintenance_work_mem = '" + std::to_string(mb) + "MB'", {},
            "size maintenance_work_mem for the vector indexes");
  conn.exec("SET LOCAL max_parallel_maintenance_workers = 1", {}, "limit index build workers");
  for (const auto& index : indexes) conn.exec(index.definition, {}, "rebuild " + index.name);
}

}  // namespace

int64_t expected_rows(const LibraryModel& m) {
  const bool e = m.options().embeddings;
  return m.asset_count() * (e ? 6 : 5) + m.face_count() * (e ? 2 : 1) + m.person_count() +
         m.album_count() + m.asset_count() / 4;
}

SeedReport seed_library(db::Connection& conn, const SeedOptions& options,
                        const SeedRunOptions& run) {
  auto start = Clock::now();
  LibraryModel model(options);
  SeedReport report;
  report.spread = options.spread;
  db::Transaction tx(conn);
  check_target(conn);
  Progress progress(expected_rows(model), std::cerr, run.progress);
  SeedContext ctx{conn, model, progress, report};
  std::vector<VectorIndex> indexes;
  report.embeddings = options.embeddings;
  int64_t vectors = options.embeddings ? model.asset_count() + model.face_count() : 0;
  if (vectors > 0 && vectors >= run.rebuild_vector_indexes_from) {
    indexes = drop_vector_indexes(conn);
  }
  load_users(ctx);
  load_assets(ctx);
  load_smart_search(ctx);
  load_stacks(ctx);
  load_people(ctx);
  load_albums(ctx);
  load_tags(ctx);
  load_memories(ctx);
  load_sessions(ctx);
  load_audit(ctx);
  if (!indexes.empty() && !run.rebuild_vector_indexes) {
    report.dropped_vector_indexes = true;
  } else if (!indexes.empty()) {
    progress.advance(0, "rebuilding vector indexes");
    auto index_start = Clock::now();
    rebuild_vector_indexes(conn, indexes, vectors);
    report.index_seconds = seconds_since(index_start);
    report.rebuilt_vector_indexes = true;
  }
  tx.commit();
  progress.finish();
  report.seconds = seconds_since(start);
  conn.exec("ANALYZE", {}, "analyze the seeded tables");
  if (options.write_files) report.files_written = write_library_files(model);
  return report;
}

namespace {

void print_embeddings(std::ostream& out, const char* table, const EmbeddingStats& s,
                      int64_t clusters, double spread) {
  char line[256];
  std::snprintf(line, sizeof line,
                "  %-13s %lld vectors, %lld clusters (%.1f per cluster), spread %.2f: norm "
                "%.6f..%.6f, cosine to centre mean %.3f (expected %.3f), min %.3f\n",
                table, static_cast<long long>(s.count), static_cast<long long>(clusters),
                clusters ? static_cast<double>(s.count) / clusters : 0.0, spread, s.min_norm,
                s.max_norm, s.mean_cos_to_centre(), 1 / std::sqrt(1 + spread * spread),
                s.min_cos_to_centre);
  out << line;
}

void print_files_written(const SeedReport& r, std::ostream& out) {
  if (r.files_written) {
    out << "files written: " << r.files_written
        << " (originals, sidecars, thumbnails, previews, encoded videos, person thumbnails)\n";
  }
}

}  // namespace

void print_report(const SeedReport& r, std::ostream& out) {
  out << "rows loaded:\n";
  for (const auto& [table, rows] : r.rows) {
    char line[96];
    std::snprintf(line, sizeof line, "  %-20s %10lld\n", table.c_str(), static_cast<long long>(rows));
    out << line;
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "total: %lld rows in %.1f s (%.0f rows/s, %.1f MB of COPY text)%s\n",
                static_cast<long long>(r.total_rows), r.seconds, r.rows_per_second(),
                r.bytes_sent / 1e6,
                r.rebuilt_vector_indexes || r.dropped_vector_indexes || !r.embeddings
                    ? ""
                    : "; vector indexes kept live");
  out << line;
  if (r.rebuilt_vector_indexes) {
    std::snprintf(line, sizeof line, "vector indexes rebuilt after the load in %.1f s\n",
                  r.index_seconds);
    out << line;
  }
  if (r.dropped_vector_indexes) {
    out << "vector indexes dropped for the load and not rebuilt (--no-vector-indexes)\n";
  }
  if (!r.embeddings) {
    out << "embeddings: none (--no-embeddings: smart_search and face_search left empty)\n";
    print_files_written(r, out);
    return;
  }
  out << "embeddings (L2-normalised, 512 dimensions):\n";
  print_embeddings(out, "smart_search", r.smart, static_cast<int64_t>(r.smart_clusters), r.spread);
  print_embeddings(out, "face_search", r.faces, r.face_clusters, r.spread);
  print_files_written(r, out);
}

}  // namespace keepsake::dev
