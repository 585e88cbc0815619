#include "vector/hnsw_graph.h"

#include <hnswlib/hnswlib.h>
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <queue>

#include "common/error.h"

namespace keepsake::vector {

namespace {

// Vectors are stored as IEEE half floats: half the memory of float, and a search (which waits on
// memory far more than on arithmetic) about twice as fast, while a cosine distance moves by about
// 1e-4. The distance is 1 - dot product, converted back to float with F16C.
class HalfInnerProductSpace : public hnswlib::SpaceInterface<float> {
 public:
  explicit HalfInnerProductSpace(size_t dim) : dim_(dim) {}
  size_t get_data_size() override { return dim_ * sizeof(uint16_t); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &distance; }
  void* get_dist_func_param() override { return &dim_; }

  static float distance(const void* a, const void* b, const void* dim_ptr) {
    const size_t n = *static_cast<const size_t*>(dim_ptr);
    const auto* x = static_cast<const uint16_t*>(a);
    const auto* y = static_cast<const uint16_t*>(b);
    auto load = [](const uint16_t* p) {
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    };
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      sum0 = _mm256_fmadd_ps(load(x + i), load(y + i), sum0);
      sum1 = _mm256_fmadd_ps(load(x + i + 8), load(y + i + 8), sum1);
    }
    const __m256 sum = _mm256_add_ps(sum0, sum1);
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    half = _mm_hadd_ps(half, half);
    half = _mm_hadd_ps(half, half);
    float dot = _mm_cvtss_f32(half);
    for (; i < n; ++i) dot += _cvtsh_ss(x[i]) * _cvtsh_ss(y[i]);
    return 1.0f - dot;
  }

 private:
  size_t dim_;
};

// A unit-length copy of v in half floats, as the graph stores and compares them.
std::vector<uint16_t> unit_half(const float* v, int dim) {
  std::vector<float> unit(v, v + dim);
  HnswGraph::normalise(unit);
  std::vector<uint16_t> out(static_cast<size_t>(dim));
  for (int i = 0; i < dim; ++i) out[i] = _cvtss_sh(unit[i], _MM_FROUND_TO_NEAREST_INT);
  return out;
}

}  // namespace

struct HnswGraph::Impl {
  explicit Impl(int dim) : space(static_cast<size_t>(dim)) {}
  HalfInnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
  size_t live = 0;
};

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;

// hnswlib's searchKnn with `ef` passed in rather than read from the graph (setEf would make
// concurrent searches race), and without its shared metric counters (every search would write
// the same cache line). Read-only on the graph: callers hold the index's shared lock.
std::priority_queue<std::pair<float, hnswlib::labeltype>> search_knn(const Graph& h, const void* query, size_t k,
                                                                     size_t ef) {
  std::priority_queue<std::pair<float, hnswlib::labeltype>> result;
  if (h.cur_element_count == 0) return result;
  hnswlib::tableint current = h.enterpoint_node_;
  float current_distance = h.fstdistfunc_(query, h.getDataByInternalId(current), h.dist_func_param_);
  for (int level = h.maxlevel_; level > 0; level--) {
    for (bool changed = true; changed;) {
      changed = false;
      auto* links = reinterpret_cast<unsigned int*>(h.get_linklist(current, level));
      int count = h.getListCount(links);
      auto* neighbours = reinterpret_cast<hnswlib::tableint*>(links + 1);
      for (int i = 0; i < count; i++) {
        float d = h.fstdistfunc_(query, h.getDataByInternalId(neighbours[i]), h.dist_func_param_);
        if (d < current_distance) current_distance = d, current = neighbours[i], changed = true;
      }
    }
  }
  auto top = h.num_deleted_ ? h.searchBaseLayerST<true, false>(current, query, std::max(ef, k))
                            : h.searchBaseLayerST<false, false>(current, query, std::max(ef, k));
  while (top.size() > k) top.pop();
  for (; !top.empty(); top.pop()) result.emplace(top.top().first, h.getExternalLabel(top.top().second));
  return result;
}

}  // namespace

HnswGraph::HnswGraph(int dim) : dim_(dim), impl_(std::make_unique<Impl>(dim)) {}

HnswGraph::HnswGraph(int dim, size_t capacity, size_t m, size_t ef_construction)
    : HnswGraph(dim) {
  impl_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &impl_->space, std::max<size_t>(capacity, 16), m, ef_construction, 42);
}

HnswGraph::~HnswGraph() = default;

std::unique_ptr<HnswGraph> HnswGraph::load(const std::string& path, int dim) {
  std::unique_ptr<HnswGraph> g(new HnswGraph(dim));
  try {
    g->impl_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(&g->impl_->space, path);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kCorrupt, "Cannot read the vector index file " + path + ": " + e.what(),
                "delete the file; Keepsake rebuilds the index from the table");
  }
  auto& h = *g->impl_->hnsw;
  if (h.label_offset_ - h.offsetData_ != h.data_size_) {
    throw Error(ErrorKind::kCorrupt,
                "The vector index file " + path + " holds vectors of another size or format",
                "delete the file; Keepsake rebuilds the index from the table");
  }
  size_t deleted = 0;
  for (size_t i = 0; i < h.cur_element_count; ++i) deleted += h.isMarkedDeleted(i) ? 1 : 0;
  g->impl_->live = h.cur_element_count - deleted;
  return g;
}

void HnswGraph::save(const std::string& path) const { impl_->hnsw->saveIndex(path); }

void HnswGraph::normalise(std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0) return;
  float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= inv;
}

bool HnswGraph::contains(uint64_t label) const {
  auto& h = *impl_->hnsw;
  auto it = h.label_lookup_.find(label);
  return it != h.label_lookup_.end() && !h.isMarkedDeleted(it->second);
}

void HnswGraph::upsert(uint64_t label, const float* vec) {
  const auto v = unit_half(vec, dim_);
  auto& h = *impl_->hnsw;
  bool existed = h.label_lookup_.count(label) > 0;
  bool was_live = contains(label);
  if (!existed && h.cur_element_count >= h.max_elements_) {
    h.resizeIndex(std::max<size_t>(h.max_elements_ * 2, 1024));
  }
  h.addPoint(v.data(), label);
  if (!was_live) ++impl_->live;
}

void HnswGraph::remove(uint64_t label) {
  if (!contains(label)) return;
  impl_->hnsw->markDelete(label);
  --impl_->live;
}

size_t HnswGraph::size() const { return impl_->live; }

size_t HnswGraph::memory_bytes() const {
  const auto& h = *impl_->hnsw;
  constexpr size_t kPerLabel = 48;  // an unordered_map node of label -> internal id
  size_t bytes = h.max_elements_ * (h.size_data_per_element_ + sizeof(void*) + sizeof(int));
  for (size_t i = 0; i < h.cur_element_count; ++i) {
    bytes += static_cast<size_t>(std::max(0, h.element_levels_[i])) * h.size_links_per_element_;
  }
  return bytes + h.label_lookup_.size() * kPerLabel;
}

std::vector<GraphHit> HnswGraph::search(const float* query, size_t k, size_t ef) const {
  const auto q = unit_half(query, dim_);
  auto found = search_knn(*impl_->hnsw, q.data(), k, ef);
  std::vector<GraphHit> out(found.size());
  for (size_t i = found.size(); i-- > 0;) {
    out[i] = {found.top().first, found.top().second};
    found.pop();
  }
  return out;
}

}  // namespace keepsake::vector
