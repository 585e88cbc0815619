// One in-process HNSW graph (Debian's hnswlib) over unit-normalised vectors stored as half floats,
// so the inner product gives pgvector's cosine distance (1 - cos) to about 1e-4. Labels are the
// caller's dense numbers.
// This translation unit is compiled with AVX2/FMA. It must never touch the database or files other
// than the one path given to save/load; locking is the caller's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace keepsake::vector {

struct GraphHit {
  float distance;
  uint64_t label;
};

class HnswGraph {
 public:
  HnswGraph(int dim, size_t capacity, size_t m = 16, size_t ef_construction = 100);
  ~HnswGraph();
  HnswGraph(const HnswGraph&) = delete;
  HnswGraph& operator=(const HnswGraph&) = delete;

  // Loads a graph written by save(); throws keepsake::Error(kCorrupt) when unreadable.
  static std::unique_ptr<HnswGraph> load(const std::string& path, int dim);
  void save(const std::string& path) const;

  int dim() const { return dim_; }
  // Adds or replaces the vector of a label (normalises a copy; a zero vector stays zero).
  void upsert(uint64_t label, const float* vec);
  void remove(uint64_t label);
  bool contains(uint64_t label) const;
  size_t size() const;  // live (not deleted) labels
  // What the graph holds in memory (vectors, links and the label map), an estimate in bytes.
  size_t memory_bytes() const;
  // The k nearest live labels, closest first; ef is raised to k when smaller.
  std::vector<GraphHit> search(const float* query, size_t k, size_t ef) const;

  // Normalises v in place (no-op for a zero vector).
  static void normalise(std::vector<float>& v);

 private:
  struct Impl;
  explicit HnswGraph(int dim);
  int dim_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keepsake::vector
