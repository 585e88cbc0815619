// Smart, face and duplicate search with the same semantics in every mode (spec §3.5): pgvector /
// VectorChord / pgvecto.rs through SQL in a transaction that starts with SET LOCAL
// vchordrq.probes, and built-in mode through the in-process HNSW graphs, with filters applied by
// PostgreSQL. A result page is never short because of over-filtering: both paths fall back to an
// exact scan when the approximate one cannot fill it. Must never splice request values into SQL.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"
#include "vector/builtin_index.h"
#include "vector/extension.h"

namespace keepsake::vector {

// An optional filter value where null is meaningful (city: null = "has no city").
struct NullableText {
  std::optional<std::string> value;  // nullopt = IS NULL
};

struct SmartSearchOptions {
  std::vector<float> embedding;
  std::vector<std::string> user_ids;           // owner ids (empty = any owner)
  std::string visibility = "timeline";         // asset_visibility_enum label
  bool with_deleted = false;
  std::optional<std::string> type;             // IMAGE, VIDEO, ...
  std::optional<bool> is_favorite;
  std::optional<std::string> taken_before, taken_after;  // fileCreatedAt, ISO timestamps
  std::optional<std::string> created_before, created_after;
  std::optional<NullableText> make, model, lens_model, city, state, country;
  std::optional<int> rating;
  std::vector<std::string> album_ids, person_ids, tag_ids;
  int page = 1;
  int size = 100;
  // Columns of `asset` to return with the page (a constant select list from the caller, never
  // request data, e.g. "asset.*"). The search's own round trip then carries the rows, as Immich's
  // search query does, instead of a second query fetching them.
  std::string row_columns;
};

struct SearchPage {
  std::vector<std::string> asset_ids;   // this page, nearest first
  std::vector<float> distances;
  bool has_next_page = false;
  // With SmartSearchOptions::row_columns: the page's rows; row_of[i] is the row of asset_ids[i].
  db::Result rows;
  std::vector<int> row_of;
};

struct FaceSearchOptions {
  std::vector<float> embedding;
  std::vector<std::string> user_ids;
  int num_results = 64;
  double max_distance = 0.5;
  bool has_person = false;
  std::optional<std::string> min_birth_date;  // ISO date
};

struct FaceHit {
  std::string face_id;
  std::optional<std::string> person_id;
  float distance;
};

struct DuplicateSearchOptions {
  std::string asset_id;
  std::vector<float> embedding;
  std::vector<std::string> user_ids;
  std::string type = "IMAGE";
  double max_distance = 0.01;
};

struct DuplicateHit {
  std::string asset_id;
  std::optional<std::string> duplicate_id;
  float distance;
};

// Search tuning beyond Immich: pgvector's hnsw.ef_search and the built-in graph's ef.
struct SearchTuning {
  int ef_search = 100;
  bool exact = false;  // force the exact scan (the test oracle and the benchmark baseline)
};

class VectorSearch {
 public:
  // clip / face may be null (pgvector family, or built-in not loaded): then SQL serves searches.
  VectorSearch(Extension ext, BuiltinIndex* clip = nullptr, BuiltinIndex* face = nullptr)
      : ext_(ext), clip_(clip), face_(face) {}

  SearchPage smart(db::Connection& conn, const SmartSearchOptions& o,
                   const SearchTuning& t = {}) const;
  std::vector<FaceHit> faces(db::Connection& conn, const FaceSearchOptions& o,
                             const SearchTuning& t = {}) const;
  std::vector<DuplicateHit> duplicates(db::Connection& conn, const DuplicateSearchOptions& o,
                                       const SearchTuning& t = {}) const;

  // The stored embedding of an asset (smart_search), or nullopt.
  static std::optional<std::vector<float>> asset_embedding(db::Connection& conn,
                                                           const std::string& asset_id);

 private:
  Extension ext_;
  BuiltinIndex* clip_;
  BuiltinIndex* face_;
};

// The WHERE clause of Immich's searchAssetBuilder over `asset` (parameters appended to params).
std::string smart_filter_sql(const SmartSearchOptions& o, db::Params& params);

}  // namespace keepsake::vector
