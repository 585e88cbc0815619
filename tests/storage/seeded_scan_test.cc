// `keepsake dev seed --files` then `keepsake storage scan`, both as the real binary against a
// bootstrapped database: a fresh seed has nothing missing, and deleted files are reported in
// their class (irreplaceable / regenerable), with the exit status following only the first.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/seeded_library.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;

class SeededScanTest : public testing::SeededLibraryTest {
 protected:
  Paths thumbnails(int n) {
    return first(n, "SELECT path FROM asset_file WHERE type = 'thumbnail'");
  }
  static void remove_all(const Paths& paths) {
    for (const auto& p : paths) ASSERT_TRUE(fs::remove(p)) << p;
  }
  static Paths paths_of(const nlohmann::json& files) {
    Paths out;
    for (const auto& f : files) out.insert(f["path"].get<std::string>());
    return out;
  }
};

TEST_F(SeededScanTest, AFreshlySeededLibraryHasNothingMissing) {
  auto text = keepsake({"storage", "scan"});
  ASSERT_EQ(text.exit_code, 0) << text.err << text.out;
  EXPECT_TRUE(has(text.out,
                  "  missing files:  0\n"
                  "    irreplaceable: 0\n"
                  "    regenerable:   0\n"
                  "  orphan files:   0\n"
                  "  foreign paths:  0\n"))
      << text.out;
  EXPECT_FALSE(has(text.out, "Hint:")) << text.out;

  auto json = keepsake({"storage", "scan", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["summary"]["missing"]["irreplaceable"], 0);
  EXPECT_EQ(j["summary"]["missing"]["regenerable"], 0);
  EXPECT_EQ(j["summary"]["orphans"], 0);
  EXPECT_EQ(j["summary"]["rows"], j["summary"]["files"]) << "one file per row";
  EXPECT_GT(conn_->exec("SELECT count(*) FROM asset_file WHERE type = 'sidecar'").int64(0, 0), 0)
      << "the seed holds sidecars, so the scan checked some";
}

TEST_F(SeededScanTest, LostOriginalsAndASidecarFailTheScanMissingThumbnailsDoNot) {
  Paths originals = first(3, R"(SELECT "originalPath" FROM asset)");
  Paths sidecar = first(1, "SELECT path FROM asset_file WHERE type = 'sidecar'");
  Paths thumbs = thumbnails(5);
  remove_all(originals);
  remove_all(sidecar);
  remove_all(thumbs);

  auto text = keepsake({"storage", "scan"});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_TRUE(has(text.err, "4 irreplaceable files are missing")) << text.err;
  EXPECT_TRUE(has(text.out,
                  "  missing files:  9\n"
                  "    irreplaceable: 4 (original 3, sidecar 1)\n"
                  "    regenerable:   5 (thumbnail 5)\n"))
      << text.out;
  for (const auto& p : originals) EXPECT_TRUE(has(text.out, p)) << p;
  EXPECT_LT(text.out.find("Missing irreplaceable files"), text.out.find(*thumbs.begin()))
      << "the lost originals come first: " << text.out;

  auto json = keepsake({"storage", "scan", "--json"});
  EXPECT_EQ(json.exit_code, 1) << json.err;
  auto j = nlohmann::json::parse(json.out);
  const auto& lost = j["missing"]["irreplaceable"];
  EXPECT_EQ(j["summary"]["missing"]["irreplaceable"], 4);
  EXPECT_EQ(j["summary"]["missing"]["regenerable"], 5);
  EXPECT_EQ(lost["count"], 4);
  EXPECT_EQ(lost["byKind"], (nlohmann::json{{"original", 3}, {"sidecar", 1}}));
  Paths expected = originals;
  expected.insert(sidecar.begin(), sidecar.end());
  EXPECT_EQ(paths_of(lost["files"]), expected);
  const auto& regenerable = j["missing"]["regenerable"];
  EXPECT_EQ(regenerable["count"], 5);
  EXPECT_EQ(regenerable["byKind"], (nlohmann::json{{"thumbnail", 5}}));
  EXPECT_EQ(paths_of(regenerable["files"]), thumbs);
}

TEST_F(SeededScanTest, OnlyThumbnailsMissingExitsZeroAndNamesTheJobThatRemakesThem) {
  Paths thumbs = thumbnails(5);
  remove_all(thumbs);

  auto text = keepsake({"storage", "scan"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(has(text.out, "    irreplaceable: 0\n    regenerable:   5 (thumbnail 5)\n"))
      << text.out;
  EXPECT_TRUE(has(text.out, "Hint: Immich makes the regenerable files again")) << text.out;
  EXPECT_TRUE(has(text.out, "\"Generate Thumbnails\" (thumbnailGeneration)")) << text.out;
  EXPECT_FALSE(has(text.out, "Transcode videos")) << "no video is missing: " << text.out;

  auto json = keepsake({"storage", "scan", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["missing"]["irreplaceable"]["count"], 0);
  EXPECT_EQ(paths_of(j["missing"]["regenerable"]["files"]), thumbs);
  EXPECT_EQ(j["missing"]["regenerable"]["jobs"],
            (nlohmann::json::parse(R"([{"name": "Generate Thumbnails",
                                        "queue": "thumbnailGeneration",
                                        "kinds": ["thumbnail"]}])")));
}

}  // namespace
}  // namespace keepsake::storage
