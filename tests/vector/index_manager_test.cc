#include "vector/index_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake::vector {
namespace {

using keepsake::testing::DatabaseTest;

TEST(VectorTargetListCount, MatchesImmichIncludingUint32Truncation) {
  EXPECT_EQ(target_list_count(0), 1u);
  EXPECT_EQ(target_list_count(127999), 1u);
  EXPECT_EQ(target_list_count(128000), 256u);
  EXPECT_EQ(target_list_count(255999), 256u);
  EXPECT_EQ(target_list_count(256000), 512u);
  EXPECT_EQ(target_list_count(1000000), 1024u);
  EXPECT_EQ(target_list_count(2047999), 2048u);
  EXPECT_EQ(target_list_count(2048000), 4096u);
  EXPECT_EQ(target_list_count(10000000), 8192u);  // sqrt = 3162.27 -> 3162 -> clz 20
  // The slack factor: 1.2 x 106667 = 128000.4 crosses the first threshold.
  EXPECT_EQ(target_list_count(106667 * kVectorchordListSlackFactor), 256u);
}

TEST(VectorProbes, AreCeilOfListsOverEight) {
  EXPECT_EQ(probes_for_lists(1), 1u);
  EXPECT_EQ(probes_for_lists(8), 1u);
  EXPECT_EQ(probes_for_lists(9), 2u);
  EXPECT_EQ(probes_for_lists(256), 32u);
  EXPECT_EQ(probes_for_lists(4096), 512u);
}

TEST(VectorIndexDdl, IsExactPerExtension) {
  EXPECT_EQ(vector_index_sql(Extension::kVector, "clip_index"),
            "CREATE INDEX IF NOT EXISTS clip_index ON smart_search USING hnsw (embedding "
            "vector_cosine_ops) WITH (ef_construction = 300, m = 16)");
  EXPECT_EQ(vector_index_sql(Extension::kVectors, "face_index"),
            "CREATE INDEX IF NOT EXISTS face_index ON face_search USING vectors (embedding "
            "vector_cos_ops) WITH (options = $$\noptimizing.optimizing_threads = 4\n"
            "[indexing.hnsw]\nm = 16\nef_construction = 300\n$$)");
  EXPECT_EQ(vector_index_sql(Extension::kVchord, "clip_index", 256),
            "CREATE INDEX IF NOT EXISTS clip_index ON smart_search USING vchordrq (embedding "
            "vector_cosine_ops) WITH (options = $$\nresidual_quantization = false\n"
            "[build.internal]\nlists = [256]\nspherical_centroids = true\nbuild_threads = 4\n"
            "sampling_factor = 1024\n$$)");
  EXPECT_EQ(embedding_column_type(Extension::kVectors, 512), "vectors.vector(512)");
  EXPECT_EQ(embedding_column_type(Extension::kVchord, 768), "vector(768)");
  EXPECT_EQ(embedding_column_type(Extension::kBuiltin, 768), "real[]");
  EXPECT_THROW(vector_index_sql(Extension::kVector, "other_index"), Error);
}

TEST(VectorIndexDdl, TheOnlineBuildIsTheSameIndexBuiltConcurrentlyUnderAnotherName) {
  EXPECT_EQ(online_index_sql(Extension::kVector, "clip_index"),
            "CREATE INDEX CONCURRENTLY clip_index_keepsake_build ON smart_search USING hnsw (embedding "
            "vector_cosine_ops) WITH (ef_construction = 300, m = 16)");
  EXPECT_EQ(online_index_sql(Extension::kVchord, "face_index", 256),
            "CREATE INDEX CONCURRENTLY face_index_keepsake_build ON face_search USING vchordrq (embedding "
            "vector_cosine_ops) WITH (options = $$\nresidual_quantization = false\n"
            "[build.internal]\nlists = [256]\nspherical_centroids = true\nbuild_threads = 4\n"
            "sampling_factor = 1024\n$$)");
}

TEST(VectorIndexDdl, ListsAreReadFromTheIndexDefinition) {
  EXPECT_EQ(lists_from_indexdef(vector_index_sql(Extension::kVchord, "clip_index", 2048)), 2048u);
  EXPECT_EQ(lists_from_indexdef("CREATE INDEX x ON t USING vchordrq (e) WITH (options = 'a')"), 1u);
}

class VectorIndexDbTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->exec("CREATE EXTENSION vector");
    conn_->exec("CREATE TABLE smart_search (\"assetId\" uuid PRIMARY KEY, embedding vector(512) NOT NULL)");
    conn_->exec("CREATE TABLE face_search (\"faceId\" uuid PRIMARY KEY, embedding vector(512) NOT NULL)");
  }
  std::string indexdef(const std::string& name) {
    auto r = conn_->exec("SELECT indexdef FROM pg_indexes WHERE indexname = $1", {name});
    return r.empty() ? "" : r.text(0, 0);
  }
  void insert_rows(int n, int dim) {
    conn_->exec(
        "INSERT INTO smart_search SELECT gen_random_uuid(), (SELECT array_agg(random())::real[] "
        "FROM generate_series(1, $2::int) WHERE g > 0)::vector FROM generate_series(1, $1::int) g",
        {std::to_string(n), std::to_string(dim)});
  }
};

TEST_F(VectorIndexDbTest, MissingAndForeignIndexesAreRebuiltAsHnsw) {
  conn_->exec("CREATE INDEX face_index ON face_search (\"faceId\")");
  auto decisions = reindex_vectors_if_needed(*conn_, Extension::kVector, vector_index_names());
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_TRUE(decisions[0].reindex);
  EXPECT_TRUE(decisions[1].reindex);
  EXPECT_EQ(indexdef("clip_index"),
            "CREATE INDEX clip_index ON public.smart_search USING hnsw (embedding "
            "vector_cosine_ops) WITH (ef_construction='300', m='16')");
  EXPECT_NE(indexdef("face_index").find("USING hnsw"), std::string::npos);
  auto again = reindex_vectors_if_needed(*conn_, Extension::kVector, vector_index_names());
  EXPECT_FALSE(again[0].reindex);
  EXPECT_FALSE(again[1].reindex);
}

// Immich's reindex holds every search of the table until the index is built (minutes on a large
// library). Keepsake's builds the new index beside the old one. Made deterministic: a writer's
// open transaction makes CREATE INDEX CONCURRENTLY wait at its start; a search meanwhile must
// not wait (lock_timeout 1 s), while a reindex in one transaction would hold the table.
TEST_F(VectorIndexDbTest, SearchesAreAnsweredWhileTheIndexIsRebuilt) {
  reindex_vectors_if_needed(*conn_, Extension::kVector, vector_index_names());
  insert_rows(50, 512);
  auto writer = db::Connection::open(keepsake::testing::superuser_config(db_name_));
  db::Transaction writing(*writer);
  writing.exec("INSERT INTO smart_search SELECT gen_random_uuid(), embedding FROM smart_search LIMIT 1");

  bool reindexed = false;
  std::thread reindex([&] {
    auto own = db::Connection::open(keepsake::testing::superuser_config(db_name_));
    reindexed = reindex_vectors(*own, Extension::kVector, "clip_index");
  });
  bool building = false;
  for (int i = 0; i < 100 && !building; ++i) {
    building = conn_->exec("SELECT count(*) FROM pg_stat_progress_create_index").int64(0, 0) > 0;
    if (!building) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string answered;
  try {
    db::Transaction search(*conn_);
    search.exec("SET LOCAL lock_timeout = '1s'");
    answered = search.exec("SELECT count(*) FROM (SELECT 1 FROM smart_search ORDER BY embedding <=> "
                           "(SELECT embedding FROM smart_search LIMIT 1) LIMIT 5) s").text(0, 0);
  } catch (const Error& e) {
    answered = e.what();
  }
  writing.commit();
  reindex.join();
  EXPECT_TRUE(building) << "the new index was never being built beside the old one";
  EXPECT_EQ(answered, "5");
  EXPECT_TRUE(reindexed);
  EXPECT_EQ(indexdef("clip_index"),
            "CREATE INDEX clip_index ON public.smart_search USING hnsw (embedding "
            "vector_cosine_ops) WITH (ef_construction='300', m='16')");
  EXPECT_EQ(indexdef("clip_index_keepsake_build"), "");
}

TEST_F(VectorIndexDbTest, TheLeftoverOfAKilledBuildIsDroppedByTheNextReindex) {
  reindex_vectors_if_needed(*conn_, Extension::kVector, vector_index_names());
  conn_->exec("CREATE INDEX face_index_keepsake_build ON face_search (\"faceId\")");
  ASSERT_TRUE(reindex_vectors(*conn_, Extension::kVector, "face_index"));
  EXPECT_EQ(indexdef("face_index_keepsake_build"), "");
  EXPECT_NE(indexdef("face_index").find("USING hnsw"), std::string::npos);
}

TEST_F(VectorIndexDbTest, ReindexOfAMissingTableWarnsAndSkips) {
  conn_->exec("DROP TABLE face_search");
  EXPECT_FALSE(reindex_vectors(*conn_, Extension::kVector, "face_index"));
}

TEST_F(VectorIndexDbTest, DimensionChangeEmptiesRetypesAndReindexes) {
  reindex_vectors_if_needed(*conn_, Extension::kVector, vector_index_names());
  insert_rows(5, 512);
  probes().set("clip_index", 7);
  EXPECT_EQ(get_dimension_size(*conn_, "smart_search"), 512);
  set_dimension_size(*conn_, Extension::kVector, 768);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM smart_search").int64(0, 0), 0);
  EXPECT_EQ(get_dimension_size(*conn_, "smart_search"), 768);
  EXPECT_NE(indexdef("clip_index").find("USING hnsw"), std::string::npos);
  EXPECT_EQ(probes().get("clip_index"), 1u);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_constraint WHERE conname = 'dim_size_constraint'")
                .int64(0, 0),
            0);
  insert_rows(2, 768);
  EXPECT_THROW(insert_rows(1, 512), Error);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM smart_search").int64(0, 0), 2);
}

TEST_F(VectorIndexDbTest, InvalidDimensionIsRefusedAndKeepsRows) {
  insert_rows(3, 512);
  EXPECT_THROW(set_dimension_size(*conn_, Extension::kVector, 0), Error);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM smart_search").int64(0, 0), 3);
}

TEST_F(VectorIndexDbTest, BuiltinModeKeepsRealArraysWithTheCheckConstraint) {
  conn_->exec("DROP TABLE smart_search");
  conn_->exec("CREATE TABLE smart_search (\"assetId\" uuid PRIMARY KEY, embedding real[] NOT NULL)");
  conn_->exec(dimension_constraint_sql("smart_search", 512));
  EXPECT_EQ(get_dimension_size(*conn_, "smart_search"), 512);
  set_dimension_size(*conn_, Extension::kBuiltin, 768);
  EXPECT_EQ(get_dimension_size(*conn_, "smart_search"), 768);
  EXPECT_EQ(indexdef("clip_index"), "");
  EXPECT_THROW(conn_->exec("INSERT INTO smart_search VALUES (gen_random_uuid(), '{1,2}')"), Error);
}

TEST_F(VectorIndexDbTest, SetLocalProbesAppliesOnlyInsideTheTransaction) {
  probes().set("face_index", 3);
  {
    db::Transaction tx(*conn_);
    set_local_probes(*conn_, "face_index");
    EXPECT_EQ(conn_->exec("SHOW vchordrq.probes").text(0, 0), "3");
  }
  probes().set("face_index", 1);
}

}  // namespace
}  // namespace keepsake::vector

namespace keepsake::vector {
namespace {

TEST(VectorChordReindex, FollowsListsTargetAndSlack) {
  auto def = [](uint32_t lists) { return vector_index_sql(Extension::kVchord, "clip_index", lists); };
  // 100 000 rows: target 1; 1 list is right.
  auto d = vchord_reindex_decision("clip_index", def(1), 100000);
  EXPECT_FALSE(d.reindex);
  EXPECT_EQ(d.lists, 1u);
  EXPECT_EQ(probes_for_lists(d.lists), 1u);
  // 110 000 rows: target 1, but 1.2 x rows = 132 000 -> 256 lists are tolerated.
  d = vchord_reindex_decision("clip_index", def(256), 110000);
  EXPECT_FALSE(d.reindex);
  EXPECT_EQ(d.lists, 256u);
  EXPECT_EQ(probes_for_lists(d.lists), 32u);
  // 1 000 000 rows with 256 lists: reindex to 1024 lists, probes 128.
  d = vchord_reindex_decision("clip_index", def(256), 1000000);
  EXPECT_TRUE(d.reindex);
  EXPECT_EQ(d.lists, 1024u);
  EXPECT_EQ(probes_for_lists(d.lists), 128u);
  // A pgvector HNSW index under VectorChord is always rebuilt.
  d = vchord_reindex_decision("clip_index", vector_index_sql(Extension::kVector, "clip_index"), 10);
  EXPECT_TRUE(d.reindex);
  EXPECT_EQ(d.lists, 1u);
}

}  // namespace
}  // namespace keepsake::vector
