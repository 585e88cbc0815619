// Vector index management of spec §3.5: the index DDL per extension, targetListCount with its
// uint32 truncation and 1.2 slack, the in-process probes map applied with SET LOCAL in every
// search transaction, reindexVectorsIfNeeded, reindexVectors, getDimensionSize,
// setDimensionSize and deleteAllSearchEmbeddings. In built-in mode the columns stay real[] with
// the dimension check constraint and no vector index exists in PostgreSQL.
// Must never build SQL from request data: names come from the fixed VECTOR_INDEX_TABLES.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "vector/extension.h"

namespace keepsake::vector {

inline constexpr double kVectorchordListSlackFactor = 1.2;
inline constexpr int kDefaultDimension = 512;

// VECTOR_INDEX_TABLES: clip_index → smart_search, face_index → face_search.
std::string table_for_index(const std::string& index);  // throws on unknown names
const std::vector<std::string>& vector_index_names();

// targetListCount(n) exactly as Immich computes it.
uint32_t target_list_count(double rows);
// ceil(lists / 8).
uint32_t probes_for_lists(uint32_t lists);

// vectorIndexQuery: the CREATE INDEX statement for an extension (none for builtin).
std::string vector_index_sql(Extension ext, const std::string& index, uint32_t lists = 1);
// The column type for embeddings: vector(<dim>), vectors.vector(<dim>), or real[] (builtin).
std::string embedding_column_type(Extension ext, int dim);
// The first number after "lists = [" in an index definition, 1 if none.
uint32_t lists_from_indexdef(const std::string& indexdef);

// The in-process probes map ({clip_index: 1, face_index: 1} at start).
class ProbeTable {
 public:
  uint32_t get(const std::string& index) const;
  void set(const std::string& index, uint32_t probes);

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint32_t> probes_{{"clip_index", 1}, {"face_index", 1}};
};
ProbeTable& probes();

// Issues SET LOCAL vchordrq.probes = <probes[index]> (inside the caller's transaction).
void set_local_probes(db::Connection& conn, const std::string& index);

// getDimensionSize: atttypmod of <table>.<column>; falls back to 512 with a warning.
int get_dimension_size(db::Connection& conn, const std::string& table,
                       const std::string& column = "embedding");

// What reindex_vectors_if_needed decided per index.
struct ReindexDecision {
  std::string index;
  bool reindex = false;
  uint32_t lists = 1;
  std::string reason;
};
// The VectorChord rule of reindexVectorsIfNeeded for an existing index definition and row count:
// reindex with lists = targetListCount(rows) unless the current lists equal the target or the
// target of rows x 1.2; probes follow the resulting lists.
ReindexDecision vchord_reindex_decision(const std::string& index, const std::string& indexdef,
                                        int64_t rows);
std::vector<ReindexDecision> plan_reindex(db::Connection& conn, Extension ext,
                                          const std::vector<std::string>& names);
// reindexVectorsIfNeeded: plans, then reindexes those that need it; updates probes().
std::vector<ReindexDecision> reindex_vectors_if_needed(db::Connection& conn, Extension ext,
                                                       const std::vector<std::string>& names);
// reindexVectors, without holding searches where it can: with pgvector or VectorChord and the
// column already of the right type, the new index is built CONCURRENTLY beside the old one
// (online_build_index_name), which searches keep using, then swapped in by a short transaction.
// Otherwise (or when that build fails) Immich's way: in one transaction drop, retype (real[] then
// vector(dim)), recreate, which holds every search of the table until it is done. Then VACUUM
// ANALYZE. Returns false when the table does not exist (warned, as Immich does).
bool reindex_vectors(db::Connection& conn, Extension ext, const std::string& index,
                     std::optional<uint32_t> lists = std::nullopt);
// Its fault-injection phases on the online way (common/fault_point.h), in order.
inline constexpr std::string_view kReindexPhases[] = {"vector.reindex.built", "vector.reindex.swapped"};
// The name a new index is built under beside the old one; a leftover of a killed build is
// dropped by the next reindex.
std::string online_build_index_name(const std::string& index);
// vector_index_sql as CREATE INDEX CONCURRENTLY under online_build_index_name.
std::string online_index_sql(Extension ext, const std::string& index, uint32_t lists = 1);

// The dimension check constraint of built-in mode: CHECK (array_length(embedding::real[], 1) = dim).
std::string dimension_constraint_sql(const std::string& table, int dim);

// setDimensionSize under lock CLIPDimSize (512): empties smart_search and retypes its embedding
// column to <dim>, recreating clip_index (lists 1) or, in built-in mode, the check constraint.
void set_dimension_size(db::Connection& conn, Extension ext, int dim);
// Its fault-injection phases (common/fault_point.h), in order.
inline constexpr std::string_view kSetDimensionPhases[] = {"vector.dimension.emptied", "vector.dimension.retyped",
                                                           "vector.dimension.committed"};
// deleteAllSearchEmbeddings: TRUNCATE smart_search.
void delete_all_search_embeddings(db::Connection& conn);

}  // namespace keepsake::vector
