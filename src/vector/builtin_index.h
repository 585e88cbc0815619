// Keepsake's built-in vector index (used when no vector extension is available) for smart_search or
// face_search: one HNSW graph per owner, for searches within a few owners, plus one graph of every
// vector, for searches across the library. Built from the table, persisted under the data folder
// with a stamp (format, dimension, last change applied, row count and an XOR of the keys) and kept
// in step with writes from any client through keepsake.vector_change, which triggers fill.
// Must never answer from a graph that does not match the table: sync() runs before every search.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "db/connection.h"
#include "vector/hnsw_graph.h"

namespace keepsake::vector {

// The channel the change triggers notify (payload: the table name).
inline constexpr const char* kVectorChangeChannel = "keepsake_vector";

// Creates or replaces the change triggers on public.smart_search and public.face_search (tables
// that do not exist are skipped). Idempotent.
void install_change_triggers(db::Connection& conn);

struct TableStamp {
  int dim = 0;
  int64_t last_change = 0;
  int64_t rows = 0;
  uint64_t key_xor = 0;
};

// Reads the current stamp of a table from PostgreSQL (rows, key XOR, newest change id).
TableStamp read_table_stamp(db::Connection& conn, const std::string& table);

// Changes to `table` recorded after change id `applied` (what an index that applied up to
// `applied` has not seen yet; the next search syncs them).
int64_t pending_changes(db::Connection& conn, const std::string& table, int64_t applied);

struct VectorHit {
  std::string key;  // assetId or faceId
  float distance;
};

enum class LoadOutcome { kBuilt, kReused, kCaughtUp, kRebuilt };
const char* load_outcome_name(LoadOutcome outcome);

class BuiltinIndex {
 public:
  // table: smart_search or face_search. folder: where the graphs live (created when missing).
  BuiltinIndex(std::string table, std::string folder);

  const std::string& table() const { return table_; }
  // Loads the persisted graphs when their stamp still matches the table (applying recorded
  // changes), else builds from the table. Safe to call from a background thread.
  LoadOutcome load_or_build(db::Connection& conn);
  void build(db::Connection& conn);
  // Applies changes recorded since the last sync; rebuilds after a TRUNCATE or dimension change.
  // Returns the number of keys refreshed.
  size_t sync(db::Connection& conn);
  void save() const;

  bool ready() const { return ready_; }
  size_t size() const;
  int dim() const { return dim_; }
  int64_t last_change() const { return last_change_; }
  int64_t rows_loaded() const { return rows_loaded_; }
  int64_t rows_total() const { return rows_total_; }
  // Every graph and the key map in memory, an estimate in bytes.
  size_t memory_bytes() const;
  // When the index last matched the table (a build, a load or a sync), microseconds since the
  // epoch; 0 before the first.
  int64_t synced_at_us() const { return synced_at_us_; }

  // The k nearest keys, closest first, among the given owners (all owners when empty).
  std::vector<VectorHit> nearest(const std::vector<float>& query, size_t k,
                                 const std::vector<std::string>& owners, size_t ef = 0) const;
  // How many vectors the given owners have (all when empty).
  size_t count(const std::vector<std::string>& owners) const;

 private:
  struct Entry {
    std::string owner;
    uint64_t label;
  };
  struct Row {
    std::string key, owner;
    std::vector<float> embedding;
  };
  // Empties the index; the graph of every vector is sized for `expected_rows`.
  void clear_locked(int dim, size_t expected_rows = 0);
  HnswGraph& owner_graph_locked(const std::string& owner);
  void upsert_locked(const std::string& key, const std::string& owner, const std::vector<float>& v);
  void add_new_rows_locked(const std::vector<Row>& rows);
  void remove_locked(const std::string& key);
  void check_dimension_locked(const std::string& key, const std::vector<float>& v) const;
  size_t count_locked(const std::set<std::string>& owners) const;
  size_t refresh_keys(db::Connection& conn, const std::vector<std::string>& keys);
  bool try_load();
  uint64_t key_xor_locked() const;

  std::string table_;
  std::string folder_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<HnswGraph>> owner_graphs_;
  std::unique_ptr<HnswGraph> all_graph_;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<uint64_t, std::string> key_of_label_;
  uint64_t next_label_ = 0;
  int dim_ = 0;
  std::atomic<int64_t> last_change_{0};
  std::mutex sync_mu_;  // one sync (and its rebuilds) at a time
  std::atomic<bool> ready_{false};
  std::atomic<int64_t> rows_loaded_{0};
  std::atomic<int64_t> rows_total_{0};
  std::atomic<int64_t> synced_at_us_{0};
};

// Parses PostgreSQL's text form of real[] / vector ("{1,2.5}" or "[1,2.5]").
std::vector<float> parse_float_array(std::string_view text);
// The text form of an embedding for a vector or real[] parameter ("[1,2.5]").
std::string vector_literal(const std::vector<float>& v);

}  // namespace keepsake::vector
