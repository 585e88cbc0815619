#include "dev/embeddings.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "dev/prng.h"

namespace keepsake::dev {

void EmbeddingStats::add(double norm, double cos_to_centre) {
  ++count;
  min_norm = std::min(min_norm, norm);
  max_norm = std::max(max_norm, norm);
  sum_cos_to_centre += cos_to_centre;
  min_cos_to_centre = std::min(min_cos_to_centre, cos_to_centre);
}

double normalise(std::span<float> v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  double norm = std::sqrt(sum);
  if (norm > 0) {
    for (float& x : v) x = static_cast<float>(x / norm);
  }
  return norm;
}

double dot(std::span<const float> a, std::span<const float> b) {
  double sum = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

EmbeddingSpace::EmbeddingSpace(uint64_t seed, std::string label, int clusters, double spread,
                               int dim)
    : seed_(seed), label_(std::move(label)), spread_(spread), dim_(dim) {
  if (clusters < 1 || dim < 1 || !(spread >= 0) || !std::isfinite(spread)) {
    throw Error(ErrorKind::kInvalidArgument,
                "invalid embedding space: clusters and dimension must be positive and the spread "
                "a finite number >= 0");
  }
  centres_.resize(static_cast<size_t>(clusters) * dim);
  for (int c = 0; c < clusters; ++c) {
    Prng rng = Prng::stream(seed_, label_ + "/centre", c);
    std::span<float> v(centres_.data() + static_cast<size_t>(c) * dim, dim);
    for (float& x : v) x = static_cast<float>(rng.normal());
    normalise(v);
  }
}

std::span<const float> EmbeddingSpace::centre(uint64_t cluster) const {
  size_t c = cluster % clusters();
  return {centres_.data() + c * dim_, static_cast<size_t>(dim_)};
}

void EmbeddingSpace::sample(uint64_t cluster, uint64_t member, std::span<float> out,
                            EmbeddingStats* stats) const {
  auto c = centre(cluster);
  Prng rng = Prng::stream(seed_ ^ mix64(cluster % clusters()), label_ + "/member", member);
  const double scale = spread_ / std::sqrt(static_cast<double>(dim_));
  for (int i = 0; i < dim_; ++i) out[i] = static_cast<float>(c[i] + scale * rng.normal());
  normalise(out);
  if (stats) {
    double sum = 0;
    for (float x : out) sum += static_cast<double>(x) * x;
    stats->add(std::sqrt(sum), dot(out, c));
  }
}

}  // namespace keepsake::dev
