#include "vector/hnsw_graph.h"

#include <hnswlib/hnswlib.h>

#include <cmath>
#include <queue>

#include "common/error.h"

namespace keepsake::vector {

struct HnswGraph::Impl {
  explicit Impl(int dim) : space(dim) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
  size_t live = 0;
};

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;

// hnswlib's searchKnn with `ef` passed in rather than read from the graph (setEf would make
// concurrent searches race), and without its shared metric counters (every search would write
// the same cache line). Read-only on the graph: callers hold the index's shared lock.
std::priority_queue<std::pair<float, hnswlib::labeltype>> search_knn(const Graph& h, const float* query, size_t k,
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
  std::vector<float> v(vec, vec + dim_);
  normalise(v);
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

std::vector<GraphHit> HnswGraph::search(const float* query, size_t k, size_t ef) const {
  std::vector<float> q(query, query + dim_);
  normalise(q);
  auto found = search_knn(*impl_->hnsw, q.data(), k, ef);
  std::vector<GraphHit> out(found.size());
  for (size_t i = found.size(); i-- > 0;) {
    out[i] = {found.top().first, found.top().second};
    found.pop();
  }
  return out;
}

float HnswGraph::distance_to(const float* query, uint64_t label) const {
  auto& h = *impl_->hnsw;
  std::vector<float> q(query, query + dim_);
  normalise(q);
  const void* data = h.getDataByInternalId(h.label_lookup_.at(label));
  return h.fstdistfunc_(q.data(), data, h.dist_func_param_);
}

}  // namespace keepsake::vector
