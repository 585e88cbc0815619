#include "vector/builtin_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "vector/search.h"
#include "vector/vector_fixture.h"

namespace keepsake::vector {
namespace {

using testing::VectorFixture;

class BuiltinIndexTest : public VectorFixture {
 protected:
  std::string nearest_of(BuiltinIndex& index, const std::vector<float>& v) {
    index.sync(*conn_);
    // ef 64, as searches use: with ef 1 (k alone) the greedy walk may stop at a neighbour and
    // miss the vector itself (about 1 build in 40 with random ids).
    auto hits = index.nearest(v, 1, {}, 64);
    return hits.empty() ? "" : hits[0].key;
  }
  keepsake::testing::TempDir dir_;
};

TEST_P(BuiltinIndexTest, PersistedIndexIsReusedAfterARestart) {
  auto ids = seed_assets(owner(0), 200, 32);
  {
    BuiltinIndex index("smart_search", dir_.path());
    EXPECT_EQ(index.load_or_build(*conn_), LoadOutcome::kBuilt);
    EXPECT_EQ(index.size(), 200u);
    index.save();
  }
  BuiltinIndex again("smart_search", dir_.path());
  EXPECT_EQ(again.load_or_build(*conn_), LoadOutcome::kReused);
  EXPECT_EQ(again.size(), 200u);
  auto v = VectorSearch::asset_embedding(*conn_, ids[17]);
  EXPECT_EQ(nearest_of(again, *v), ids[17]);
}

// What GET /api/admin/vector/status reports of the built-in index: its memory, and whether
// changes wait for the next sync.
TEST_P(BuiltinIndexTest, MemoryAndPendingChangesAreReportedUntilTheNextSync) {
  seed_assets(owner(0), 100, 32);
  BuiltinIndex index("smart_search", dir_.path());
  EXPECT_EQ(index.synced_at_us(), 0);
  EXPECT_EQ(index.memory_bytes(), 0u);
  index.load_or_build(*conn_);
  EXPECT_GT(index.synced_at_us(), 0);
  size_t with_100 = index.memory_bytes();
  EXPECT_GT(with_100, 100u * 32 * 2) << "at least every vector as half floats";
  EXPECT_LT(with_100, 100u * 32 * 2 * 100) << "an estimate, not a wild one";
  EXPECT_EQ(pending_changes(*conn_, "smart_search", index.last_change()), 0);

  seed_assets(owner(1), 3, 32);
  EXPECT_EQ(pending_changes(*conn_, "smart_search", index.last_change()), 3);
  EXPECT_EQ(pending_changes(*conn_, "face_search", index.last_change()), 0) << "per table";
  index.sync(*conn_);
  EXPECT_EQ(pending_changes(*conn_, "smart_search", index.last_change()), 0);
  EXPECT_GE(index.memory_bytes(), with_100);
}

TEST_P(BuiltinIndexTest, ChangesRecordedWhileDownAreAppliedOnLoad) {
  auto ids = seed_assets(owner(0), 100, 32);
  {
    BuiltinIndex index("smart_search", dir_.path());
    index.load_or_build(*conn_);
    index.save();
  }
  conn_->exec("DELETE FROM asset WHERE id = $1", {ids[3]});
  auto added = seed_assets(owner(1), 5, 32);
  BuiltinIndex again("smart_search", dir_.path());
  EXPECT_EQ(again.load_or_build(*conn_), LoadOutcome::kCaughtUp);
  EXPECT_EQ(again.size(), 104u);
  EXPECT_EQ(again.count({owner(1)}), 5u);
  auto v = VectorSearch::asset_embedding(*conn_, added[2]);
  EXPECT_EQ(nearest_of(again, *v), added[2]);
}

TEST_P(BuiltinIndexTest, TableChangedBehindTheTriggersIsRebuilt) {
  auto ids = seed_assets(owner(0), 100, 32);
  {
    BuiltinIndex index("smart_search", dir_.path());
    index.load_or_build(*conn_);
    index.save();
  }
  // Triggers do not fire under replication role replica: only the stamp can notice this.
  conn_->exec("SET session_replication_role = replica");
  conn_->exec("DELETE FROM smart_search WHERE \"assetId\" = $1", {ids[0]});
  conn_->exec("SET session_replication_role = origin");
  BuiltinIndex again("smart_search", dir_.path());
  EXPECT_EQ(again.load_or_build(*conn_), LoadOutcome::kRebuilt);
  EXPECT_EQ(again.size(), 99u);
}

TEST_P(BuiltinIndexTest, CorruptFilesAreIgnoredAndRebuilt) {
  seed_assets(owner(0), 50, 32);
  {
    BuiltinIndex index("smart_search", dir_.path());
    index.load_or_build(*conn_);
    index.save();
  }
  for (auto& f : std::filesystem::directory_iterator(dir_.path() + "/smart_search")) {
    if (f.path().extension() == ".hnsw") std::filesystem::resize_file(f.path(), 10);
  }
  BuiltinIndex again("smart_search", dir_.path());
  EXPECT_EQ(again.load_or_build(*conn_), LoadOutcome::kBuilt);
  EXPECT_EQ(again.size(), 50u);
}

TEST_P(BuiltinIndexTest, TruncateAndDimensionChangeRebuild) {
  seed_assets(owner(0), 30, 32);
  BuiltinIndex index("smart_search", dir_.path());
  index.load_or_build(*conn_);
  set_dimension_size(*conn_, Extension::kBuiltin, 48);
  index.sync(*conn_);
  EXPECT_EQ(index.size(), 0u);
  auto ids = seed_assets(owner(0), 3, 48);
  auto v = VectorSearch::asset_embedding(*conn_, ids[1]);
  ASSERT_EQ(v->size(), 48u);
  EXPECT_EQ(nearest_of(index, *v), ids[1]);
  EXPECT_EQ(index.dim(), 48);
}

TEST_P(BuiltinIndexTest, SearchesAcrossOwnersMatchTheExactOrderWithinTheirOwners) {
  std::map<std::string, std::string> owner_of;
  std::map<std::string, std::vector<float>> embedding_of;
  for (int o = 0; o < 3; ++o) {
    for (const auto& id : seed_assets(owner(o), 60, 32)) {
      owner_of[id] = owner(o);
      embedding_of[id] = *VectorSearch::asset_embedding(*conn_, id);
    }
  }
  BuiltinIndex index("smart_search", dir_.path());
  index.load_or_build(*conn_);
  auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
    return 1 - dot / std::sqrt(na * nb);
  };
  // No owners (the graph of every vector), two of three (the same graph, checked per owner), one
  // (its own graph), and a repeated owner, which must not repeat hits.
  const std::vector<std::vector<std::string>> owner_sets = {
      {}, {owner(0), owner(2)}, {owner(1)}, {owner(1), owner(1)}};
  for (const auto& owners : owner_sets) {
    for (const auto& probe : {owner_of.begin()->first, std::prev(owner_of.end())->first}) {
      const auto& q = embedding_of[probe];
      std::vector<std::pair<double, std::string>> exact;
      for (const auto& [id, e] : embedding_of) {
        if (owners.empty() || std::count(owners.begin(), owners.end(), owner_of[id]))
          exact.push_back({cosine(q, e), id});
      }
      std::sort(exact.begin(), exact.end());
      auto hits = index.nearest(q, 10, owners, 64);
      ASSERT_EQ(hits.size(), 10u);
      if (owners.empty() || std::count(owners.begin(), owners.end(), owner_of[probe])) {
        EXPECT_EQ(hits[0].key, probe);
      }
      std::set<std::string> seen;
      for (size_t i = 0; i < hits.size(); ++i) {
        // Half floats in the graph move a distance by ~1e-4, so near ties may swap: each rank
        // must hold a vector at the exact distance of that rank, of an allowed owner, once.
        const double distance = cosine(q, embedding_of[hits[i].key]);
        EXPECT_NEAR(distance, exact[i].first, 2e-3) << "rank " << i << ", " << owners.size() << " owners";
        EXPECT_NEAR(hits[i].distance, distance, 2e-3);
        EXPECT_TRUE(owners.empty() || std::count(owners.begin(), owners.end(), owner_of[hits[i].key]));
        EXPECT_TRUE(seen.insert(hits[i].key).second) << hits[i].key << " returned twice";
      }
    }
  }
}

TEST_P(BuiltinIndexTest, IndexSavedInAnOlderFormatIsRebuilt) {
  seed_assets(owner(0), 20, 32);
  {
    BuiltinIndex index("smart_search", dir_.path());
    index.load_or_build(*conn_);
    index.save();
  }
  const std::string stamp_path = dir_.path() + "/smart_search/stamp.json";
  auto stamp = nlohmann::json::parse(std::ifstream(stamp_path));
  stamp.erase("format");  // what the first format (float graphs, per owner only) wrote
  std::ofstream(stamp_path) << stamp.dump();
  BuiltinIndex again("smart_search", dir_.path());
  EXPECT_EQ(again.load_or_build(*conn_), LoadOutcome::kBuilt);
  EXPECT_EQ(again.size(), 20u);
}

TEST(VectorFloatArrays, ParseBothTextForms) {
  EXPECT_EQ(parse_float_array("{1,2.5,-3e-2}"), (std::vector<float>{1, 2.5f, -0.03f}));
  EXPECT_EQ(parse_float_array("[1,2.5]"), (std::vector<float>{1, 2.5f}));
  EXPECT_THROW(parse_float_array("{1,abc}"), Error);
  EXPECT_EQ(vector_literal({1, 2.5f}), "[1,2.5]");
}

INSTANTIATE_TEST_SUITE_P(Builtin, BuiltinIndexTest, ::testing::Values(Extension::kBuiltin),
                         testing::param_name);

}  // namespace
}  // namespace keepsake::vector
