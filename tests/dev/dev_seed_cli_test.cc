// `keepsake dev seed` run as the real binary against a bootstrapped test database: the
// --no-embeddings and --no-vector-indexes flags.
#include <gtest/gtest.h>

#include "common/process.h"
#include "harness/bootstrapped_database.h"
#include "harness/test_cluster.h"
#include "harness/paths.h"

namespace keepsake::dev {
namespace {

class DevSeedCliTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  ProcessResult keepsake(std::vector<std::string> args) {
    args.insert(args.begin(), keepsake::testing::keepsake_binary());
    std::string url = keepsake::testing::database_url(db_name_);
    ProcessOptions options;
    options.argv = args;
    options.env = minimal_environment({{"DB_URL", url},
                                       {"IMMICH_MEDIA_LOCATION", tmp_.path() + "/media"},
                                       {"KEEPSAKE_DATA_DIR", tmp_.path() + "/data"},
                                       {"IMMICH_LOG_LEVEL", "warn"}});
    return run_process(options);
  }
  int64_t count(const std::string& table) {
    return conn_->exec("SELECT count(*) FROM " + db::quote_ident(table)).int64(0, 0);
  }
  int64_t vector_indexes() {
    return conn_->exec("SELECT count(*) FROM pg_indexes WHERE indexname IN ('clip_index', "
                       "'face_index')")
        .int64(0, 0);
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
  keepsake::testing::TempDir tmp_;
};

TEST_F(DevSeedCliTest, NoEmbeddingsSeedsEverythingButTheSearchTables) {
  auto r = keepsake({"dev", "seed", "--assets", "80", "--now", "2026-01-01", "--no-progress",
                     "--no-embeddings"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "embeddings: none")) << r.out;
  EXPECT_FALSE(has(r.out, "\n  smart_search ")) << "no smart_search row count: " << r.out;
  EXPECT_FALSE(has(r.out, "\n  face_search ")) << r.out;
  EXPECT_EQ(count("asset"), 80);
  EXPECT_EQ(count("asset_exif"), 80);
  EXPECT_GT(count("asset_face"), 0);
  EXPECT_EQ(count("smart_search"), 0);
  EXPECT_EQ(count("face_search"), 0);
  EXPECT_EQ(vector_indexes(), 2) << "the vector indexes stay as they were";
}

TEST_F(DevSeedCliTest, NoVectorIndexesKeepsTheEmbeddingsAndLeavesTheIndexesOut) {
  auto r = keepsake({"dev", "seed", "--assets", "1200", "--now", "2026-01-01", "--no-progress",
                     "--no-vector-indexes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "not rebuilt (--no-vector-indexes)")) << r.out;
  EXPECT_EQ(count("smart_search"), 1200);
  EXPECT_EQ(vector_indexes(), 0);
}

TEST_F(DevSeedCliTest, HelpListsTheFlags) {
  auto r = keepsake({"dev", "seed", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "--no-embeddings")) << r.out;
  EXPECT_TRUE(has(r.out, "--no-vector-indexes")) << r.out;
}

}  // namespace
}  // namespace keepsake::dev
