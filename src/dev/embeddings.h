// Synthetic CLIP-like embeddings: L2-normalised vectors drawn from a mixture of Gaussian clusters.
// Each cluster has a random unit centre; a member is centre + spread * N(0, I/dim), normalised,
// so its expected cosine to the centre is about 1/sqrt(1 + spread^2). Deterministic per
// (seed, label, cluster, member). Never used for real search quality claims, only for load shape.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace keepsake::dev {

struct EmbeddingStats {
  int64_t count = 0;
  double min_norm = 1e9, max_norm = 0;   // after normalisation (float rounding only)
  double sum_cos_to_centre = 0;          // mean = sum / count
  double min_cos_to_centre = 1;
  void add(double norm, double cos_to_centre);
  double mean_cos_to_centre() const { return count ? sum_cos_to_centre / count : 0; }
};

class EmbeddingSpace {
 public:
  EmbeddingSpace(uint64_t seed, std::string label, int clusters, double spread, int dim = 512);

  int clusters() const { return static_cast<int>(centres_.size() / dim_); }
  int dim() const { return dim_; }
  double spread() const { return spread_; }

  // The member vector number `member` of `cluster` (both any non-negative numbers; the cluster is
  // taken modulo clusters()). Writes dim() floats into out and updates stats when given.
  void sample(uint64_t cluster, uint64_t member, std::span<float> out,
              EmbeddingStats* stats = nullptr) const;
  std::span<const float> centre(uint64_t cluster) const;

 private:
  uint64_t seed_;
  std::string label_;
  double spread_;
  int dim_;
  std::vector<float> centres_;
};

// Normalises v to unit L2 length in place; returns the length it had.
double normalise(std::span<float> v);
double dot(std::span<const float> a, std::span<const float> b);

}  // namespace keepsake::dev
