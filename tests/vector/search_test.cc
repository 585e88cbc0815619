#include "vector/search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "vector/vector_fixture.h"

namespace keepsake::vector {
namespace {

using testing::VectorFixture;

class VectorSearchTest : public VectorFixture {
 protected:
  void SetUp() override {
    VectorFixture::SetUp();
    if (ext() == Extension::kBuiltin) {
      clip_ = std::make_unique<BuiltinIndex>("smart_search", dir_.path());
      face_ = std::make_unique<BuiltinIndex>("face_search", dir_.path());
    }
  }
  void load() {
    if (clip_) {
      clip_->load_or_build(*conn_);
      face_->load_or_build(*conn_);
    }
  }
  VectorSearch search() const { return VectorSearch(ext(), clip_.get(), face_.get()); }
  std::vector<std::string> exact_ids(const SmartSearchOptions& o) {
    SearchTuning t;
    t.exact = true;
    return search().smart(*conn_, o, t).asset_ids;
  }

  keepsake::testing::TempDir dir_;
  std::unique_ptr<BuiltinIndex> clip_, face_;
};

TEST_P(VectorSearchTest, RecallAgainstTheExactOracle) {
  for (int i = 0; i < 5; ++i) seed_assets(owner(i), 400, 32);
  load();
  int found = 0, total = 0;
  for (int q = 0; q < 20; ++q) {
    SmartSearchOptions o;
    o.embedding = random_vector(32);
    o.size = 10;
    auto exact = exact_ids(o);
    ASSERT_EQ(exact.size(), 10u);
    auto approx = search().smart(*conn_, o).asset_ids;
    ASSERT_EQ(approx.size(), 10u);
    std::set<std::string> truth(exact.begin(), exact.end());
    for (const auto& id : approx) found += truth.count(id);
    total += 10;
  }
  EXPECT_GE(static_cast<double>(found) / total, 0.95);
}

TEST_P(VectorSearchTest, FiltersGiveTheExactFilteredResultSet) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto some = seed_assets(owner(i), 60, 32);
    ids.insert(ids.end(), some.begin(), some.end());
  }
  std::string album = new_uuid(), person = new_uuid(), tag = new_uuid();
  conn_->exec("INSERT INTO person (id) VALUES ($1)", {person});
  conn_->exec("INSERT INTO tag_closure VALUES ($1, $1)", {tag});
  for (size_t i = 0; i < ids.size(); i += 7) {
    conn_->exec("INSERT INTO album_asset VALUES ($1, $2)", {album, ids[i]});
    conn_->exec("INSERT INTO asset_face (id, \"assetId\", \"personId\") VALUES (gen_random_uuid(), $1, $2)",
                {ids[i + 1], person});
    conn_->exec("INSERT INTO tag_asset VALUES ($1, $2)", {ids[i + 2], tag});
    conn_->exec("INSERT INTO asset_exif (\"assetId\", city, make) VALUES ($1, 'Paris', 'Canon')",
                {ids[i + 3]});
  }
  conn_->exec("UPDATE asset SET \"deletedAt\" = now() WHERE id = $1", {ids[5]});
  conn_->exec("UPDATE asset SET visibility = 'archive' WHERE id = $1", {ids[6]});
  load();
  std::vector<std::function<void(SmartSearchOptions&)>> filters = {
      [&](auto& o) { o.user_ids = {owner(0)}; },
      [&](auto& o) { o.user_ids = {owner(1), owner(2)}; o.is_favorite = true; },
      [&](auto& o) { o.type = "VIDEO"; },
      [&](auto& o) { o.album_ids = {album}; },
      [&](auto& o) { o.person_ids = {person}; },
      [&](auto& o) { o.tag_ids = {tag}; },
      [&](auto& o) { o.city = NullableText{"Paris"}; o.make = NullableText{"Canon"}; },
      [&](auto& o) { o.taken_after = "2024-01-20T00:00:00Z"; o.user_ids = {owner(2)}; },
      [&](auto& o) { o.visibility = "archive"; },
      [&](auto& o) { o.with_deleted = true; o.user_ids = {owner(0)}; },
  };
  for (size_t f = 0; f < filters.size(); ++f) {
    SmartSearchOptions o;
    o.embedding = random_vector(32);
    o.size = 200;
    filters[f](o);
    auto exact = exact_ids(o);
    auto got = search().smart(*conn_, o).asset_ids;
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
              std::set<std::string>(exact.begin(), exact.end()))
        << "filter " << f;
    EXPECT_FALSE(exact.empty()) << "filter " << f;
  }
}

TEST_P(VectorSearchTest, PagesAreDisjointAndSayWhetherMoreFollow) {
  seed_assets(owner(0), 25, 32);
  load();
  SmartSearchOptions o;
  o.embedding = random_vector(32);
  o.size = 10;
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    o.page = page;
    auto p = search().smart(*conn_, o);
    EXPECT_EQ(p.has_next_page, page < 3);
    for (const auto& id : p.asset_ids) EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_EQ(seen.size(), 25u);
}

TEST_P(VectorSearchTest, PagesCarryTheRowsTheCallerAsksFor) {
  seed_assets(owner(0), 30, 32);
  seed_assets(owner(1), 30, 32);
  load();
  for (bool exact : {false, true}) {
    SearchTuning t;
    t.exact = exact;
    for (int page = 1; page <= 2; ++page) {
      SmartSearchOptions o;
      o.embedding = random_vector(32);
      o.size = 8;
      o.page = page;
      o.user_ids = {owner(1)};
      auto without_rows = search().smart(*conn_, o, t);
      EXPECT_EQ(without_rows.rows.rows(), 0);
      o.row_columns = "asset.\"ownerId\"::text AS owner, asset.type";
      auto p = search().smart(*conn_, o, t);
      EXPECT_EQ(p.asset_ids, without_rows.asset_ids) << "exact " << exact << ", page " << page;
      ASSERT_EQ(p.asset_ids.size(), 8u);
      ASSERT_EQ(p.row_of.size(), p.asset_ids.size());
      for (size_t i = 0; i < p.asset_ids.size(); ++i) {
        EXPECT_EQ(p.rows.text(p.row_of[i], "id"), p.asset_ids[i]);
        EXPECT_EQ(p.rows.text(p.row_of[i], "owner"), owner(1));
        EXPECT_EQ(p.rows.text(p.row_of[i], "type"),
                  conn_->exec("SELECT type FROM asset WHERE id = $1::uuid", {p.asset_ids[i]}).text(0, 0));
      }
    }
  }
}

// More rows than one batch of the built-in exact scan's cursor: the nearest are kept across
// batches, in brute-force order, on every page.
TEST_P(VectorSearchTest, ExactScanOfALargeTableMatchesBruteForce) {
  seed_assets(owner(0), 1300, 32);
  seed_assets(owner(1), 1300, 32);
  auto rows = conn_->exec("SELECT \"assetId\"::text, embedding::text FROM smart_search");
  const auto q = random_vector(32);
  auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
    return 1 - dot / std::sqrt(na * nb);
  };
  std::vector<std::pair<double, std::string>> truth;
  for (int i = 0; i < rows.rows(); ++i) {
    truth.push_back({cosine(q, parse_float_array(rows.text(i, 1))), rows.text(i, 0)});
  }
  std::sort(truth.begin(), truth.end());
  SearchTuning exact;
  exact.exact = true;
  SmartSearchOptions o;
  o.embedding = q;
  o.size = 25;
  for (int page = 1; page <= 3; ++page) {
    o.page = page;
    auto got = search().smart(*conn_, o, exact);
    ASSERT_EQ(got.asset_ids.size(), 25u);
    for (size_t i = 0; i < got.asset_ids.size(); ++i) {
      EXPECT_EQ(got.asset_ids[i], truth[(page - 1) * 25 + i].second) << "page " << page << ", rank " << i;
    }
  }
}

TEST_P(VectorSearchTest, PlainSqlWritesFromAnotherConnectionShowInTheNextSearch) {
  seed_assets(owner(0), 50, 32);
  load();
  auto other = db::Connection::open(db_config_);
  auto v = random_vector(32);
  std::string id = new_uuid();
  other->exec("INSERT INTO asset (id, \"ownerId\", type, \"fileCreatedAt\") VALUES ($1, $2, 'IMAGE', now())",
              {id, owner(0)});
  std::string lit = vector_literal(v);
  if (ext() == Extension::kBuiltin) lit = "{" + lit.substr(1, lit.size() - 2) + "}";
  other->exec("INSERT INTO smart_search VALUES ($1, $2)", {id, lit});
  SmartSearchOptions o;
  o.embedding = v;
  o.size = 1;
  ASSERT_EQ(search().smart(*conn_, o).asset_ids, std::vector<std::string>{id});
  other->exec("DELETE FROM asset WHERE id = $1", {id});
  auto after = search().smart(*conn_, o).asset_ids;
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], id);
}

TEST_P(VectorSearchTest, FaceAndDuplicateSearchMatchTheOracle) {
  auto ids = seed_assets(owner(0), 40, 32);
  seed_assets(owner(1), 40, 32);
  auto base = random_vector(32);
  for (int i = 0; i < 30; ++i) {
    std::string face = new_uuid();
    conn_->exec("INSERT INTO asset_face (id, \"assetId\") VALUES ($1, $2)", {face, ids[i]});
    auto v = base;
    if (i % 2) v = random_vector(32);
    else v[0] += 0.01f * i;
    std::string lit = vector_literal(v);
    if (ext() == Extension::kBuiltin) lit = "{" + lit.substr(1, lit.size() - 2) + "}";
    conn_->exec("INSERT INTO face_search VALUES ($1, $2)", {face, lit});
  }
  load();
  FaceSearchOptions f;
  f.embedding = base;
  f.user_ids = {owner(0)};
  f.max_distance = 0.2;
  SearchTuning exact;
  exact.exact = true;
  auto got = search().faces(*conn_, f);
  auto want = search().faces(*conn_, f, exact);
  EXPECT_EQ(got.size(), 15u);
  ASSERT_EQ(got.size(), want.size());
  // The 15 faces near `base` lie within 1e-3 of each other; the built-in graph keeps half floats
  // (distances within ~1e-4), so their order may differ from the exact scan's, not the set.
  std::set<std::string> got_ids, want_ids;
  for (size_t i = 0; i < got.size(); ++i) {
    got_ids.insert(got[i].face_id);
    want_ids.insert(want[i].face_id);
    EXPECT_NEAR(got[i].distance, want[i].distance, 1e-3);
  }
  EXPECT_EQ(got_ids, want_ids);
  f.user_ids = {owner(1)};
  EXPECT_TRUE(search().faces(*conn_, f).empty());

  auto emb = VectorSearch::asset_embedding(*conn_, ids[0]);
  ASSERT_TRUE(emb);
  DuplicateSearchOptions d;
  d.asset_id = ids[0];
  d.embedding = *emb;
  d.user_ids = {owner(0)};
  d.type = "VIDEO";
  d.max_distance = 2.0;
  auto dups = search().duplicates(*conn_, d);
  auto dups_exact = search().duplicates(*conn_, d, exact);
  ASSERT_EQ(dups.size(), dups_exact.size());
  EXPECT_EQ(dups.size(), 13u);  // the other 13 videos of owner 0 (every third of 40, minus itself)
  for (const auto& h : dups) EXPECT_NE(h.asset_id, ids[0]);
}

TEST_P(VectorSearchTest, BadEmbeddingsAreRefused) {
  SmartSearchOptions o;
  EXPECT_THROW(search().smart(*conn_, o), Error);
  o.embedding = {1, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_THROW(search().smart(*conn_, o), Error);
}

INSTANTIATE_TEST_SUITE_P(Modes, VectorSearchTest,
                         ::testing::Values(Extension::kVector, Extension::kBuiltin),
                         testing::param_name);

}  // namespace
}  // namespace keepsake::vector
