// The vector search benchmark's workload (bench/vector_bench.cc): a deterministic library of N
// assets (5 owners, round-robin; 512-d embeddings clustered around N/100 centroids), queries that
// are noisy copies of stored embeddings with their exact top 10 (brute force in C++, the recall
// reference), and loading the library into a database holding the tables a smart search reads
// (a subset of Immich's columns, same names and types).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::bench::vector_workload {

inline constexpr int kDimension = 512;
inline constexpr int kOwners = 5;
inline constexpr int kTopK = 10;

struct Library {
  std::vector<std::string> owners;    // kOwners user ids
  std::vector<std::string> ids;       // asset ids
  std::vector<std::string> owner_of;  // owner of each asset
  std::vector<std::vector<float>> embeddings;
};

struct Query {
  std::vector<float> embedding;
  std::string owner;                     // empty: no owner filter
  std::vector<std::string> exact_top_k;  // ids of the kTopK nearest assets passing the filter
};

// The queries, once without a filter and once filtered to one owner (the same embeddings).
struct Workload {
  Library library;
  std::vector<Query> unfiltered, one_owner;
};

// Deterministic: the same size gives the same library and queries.
Workload make_workload(int64_t assets, int queries);

// How smart_search.embedding is stored: pgvector's vector(512) or the built-in mode's real[].
enum class EmbeddingColumn { kPgvector, kRealArray };

// Creates asset and smart_search (and, for pgvector, the extension) in an empty database and
// loads the library with COPY, then VACUUM ANALYZE.
void load_library(db::Connection& conn, const Library& library, EmbeddingColumn column);

}  // namespace keepsake::bench::vector_workload
