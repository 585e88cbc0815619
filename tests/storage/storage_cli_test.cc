// `keepsake storage check | migrate-paths | scan` run as the real binary against a test database
// and a temporary media location: exit codes, what they print, and what they change.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/fs_helpers.h"
#include "storage/layout.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::write_text;

class StorageCliTest : public testing::StorageDbTest {
 protected:
  void SetUp() override {
    StorageDbTest::SetUp();
    layout_ = std::make_unique<StorageLayout>(media_.path());
  }

  ProcessResult keepsake(std::vector<std::string> args) {
    auto result = testing::run_keepsake(db_name_, media_.path(), data_.path(), std::move(args));
    conn_ = db::Connection::open(db_config_);  // a migration's write fence ends the other processes' sessions
    return result;
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  // `n` assets of one user with their original and thumbnail on disk (paths under the media
  // location, as Immich writes them); returns every file written.
  std::vector<std::string> library(int n) {
    user_ = add_user();
    std::vector<std::string> files;
    for (int i = 0; i < n; ++i) {
      auto id = add_asset(user_, "pending");
      auto original = layout_->original(user_, id, "IMG_" + std::to_string(i) + ".jpg");
      conn_->exec(R"(UPDATE asset SET "originalPath" = $1 WHERE id = $2)", {original, id});
      add_asset_file(id, "thumbnail", layout_->thumbnail(user_, id, "webp"));
      for (const auto& p : {original, layout_->thumbnail(user_, id, "webp")}) {
        write_text(p, "x");
        files.push_back(p);
      }
    }
    return files;
  }

  int64_t under(const std::string& prefix) {
    return count(R"(SELECT (SELECT count(*) FROM asset WHERE starts_with("originalPath", ')" +
                 prefix + R"(')) + (SELECT count(*) FROM asset_file WHERE starts_with(path, ')" +
                 prefix + "'))");
  }

  std::unique_ptr<StorageLayout> layout_;
  keepsake::testing::TempDir data_;
  std::string user_;
};

TEST_F(StorageCliTest, CheckCreatesTheMarkersThenPassesAndFailsOnAMissingFolder) {
  auto first = keepsake({"storage", "check"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(has(first.out, "Mount checks under " + media_.path())) << first.out;
  for (auto f : kStorageFolders) {
    EXPECT_TRUE(has(first.out, std::string(folder_name(f)) + ": ok (marker created)")) << first.out;
    EXPECT_TRUE(fs::exists(layout_->mount_marker(f))) << folder_name(f);
  }
  EXPECT_EQ(count("SELECT count(*) FROM system_metadata WHERE key = 'system-flags'"), 1);

  auto second = keepsake({"storage", "check"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_FALSE(has(second.out, "marker created")) << second.out;
  EXPECT_TRUE(has(second.out, "thumbs: ok")) << second.out;

  auto thumbs = layout_->base_folder(StorageFolder::kThumbs);
  fs::remove_all(thumbs);
  auto failed = keepsake({"storage", "check"});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_TRUE(has(failed.out, "thumbs: FAILED")) << failed.out;
  EXPECT_TRUE(has(failed.out, "Failed to read: \"<UPLOAD_LOCATION>/thumbs/.immich (" + thumbs))
      << failed.out;
  EXPECT_TRUE(has(failed.err, "Failed to read")) << failed.err;
  EXPECT_FALSE(fs::exists(thumbs)) << "a missing mount is reported, never recreated";
}

TEST_F(StorageCliTest, MigratePathsDryRunCountsPerColumnAndChangesNothing) {
  library(3);
  add_person(user_, media_.path() + "/thumbs/u/pp/pe/person.jpeg");
  add_asset(user_, "/mnt/elsewhere/x.jpg", true);
  auto r = keepsake({"storage", "migrate-paths", "--from", media_.path(), "--to", "/srv/new",
                     "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "Rows whose path lies under " + media_.path())) << r.out;
  EXPECT_TRUE(has(r.out, "asset.originalPath: 3")) << r.out;
  EXPECT_TRUE(has(r.out, "asset_file.path: 3")) << r.out;
  EXPECT_TRUE(has(r.out, "person.thumbnailPath: 1")) << r.out;
  EXPECT_TRUE(has(r.out, "total: 7")) << r.out;
  EXPECT_TRUE(has(r.out, "Dry run: nothing changed")) << r.out;
  EXPECT_EQ(under(media_.path() + "/"), 6);
  EXPECT_EQ(under("/srv/new/"), 0);
}

TEST_F(StorageCliTest, MigratePathsRewritesOnlyThePrefixInBatchesAndIsIdempotent) {
  library(5);
  add_asset(user_, "/mnt/elsewhere/x.jpg", true);
  auto r = keepsake({"storage", "migrate-paths", "--from", media_.path(), "--to", "/srv/new",
                     "--batch-size", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "Finished: 10 paths rewritten from " + media_.path())) << r.out;
  EXPECT_EQ(under("/srv/new/"), 10);
  EXPECT_EQ(under(media_.path() + "/"), 0);
  EXPECT_EQ(count(R"(SELECT count(*) FROM asset WHERE "originalPath" = '/mnt/elsewhere/x.jpg')"), 1);
  auto again = keepsake({"storage", "migrate-paths", "--from", media_.path(), "--to", "/srv/new"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(has(again.out, "total: 0")) << again.out;
  EXPECT_TRUE(has(again.out, "Finished: 0 paths rewritten")) << again.out;
}

TEST_F(StorageCliTest, MigratePathsRequiresBothFolders) {
  auto r = keepsake({"storage", "migrate-paths", "--from", media_.path()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err + r.out, "--to")) << r.err << r.out;
}

TEST_F(StorageCliTest, ScanReportsMissingOrphansAndForeignAsTextAndJson) {
  auto files = library(6);
  fs::remove(files[1]);  // a thumbnail
  fs::remove(files[8]);  // an original
  auto orphan = layout_->base_folder(StorageFolder::kUpload) + "/" + user_ + "/ab/cd/stray.jpg";
  write_text(orphan, "stray");
  auto foreign = add_asset(user_, "/somewhere/else/y.jpg");

  auto text = keepsake({"storage", "scan"});
  EXPECT_EQ(text.exit_code, 1) << "two originals are lost: " << text.err;
  EXPECT_TRUE(has(text.err, "2 irreplaceable files are missing")) << text.err;
  EXPECT_TRUE(has(text.out, "    irreplaceable: 2 (original 2)\n")) << text.out;
  EXPECT_TRUE(has(text.out, "    regenerable:   1 (thumbnail 1)\n")) << text.out;
  EXPECT_TRUE(has(text.out, "orphan files:   1")) << text.out;
  EXPECT_TRUE(has(text.out, files[1])) << text.out;
  EXPECT_TRUE(has(text.out, orphan)) << text.out;
  EXPECT_TRUE(has(text.err, "scan ") && has(text.err, " rows")) << "progress goes to stderr: " << text.err;

  auto json = keepsake({"storage", "scan", "--json"});
  EXPECT_EQ(json.exit_code, 1) << json.err;
  auto j = nlohmann::json::parse(json.out);
  auto paths = [](const nlohmann::json& list) {
    std::set<std::string> out;
    for (const auto& e : list) out.insert(e["path"].get<std::string>());
    return out;
  };
  EXPECT_EQ(paths(j["missing"]["irreplaceable"]["files"]),
            (std::set<std::string>{files[8], "/somewhere/else/y.jpg"}));
  EXPECT_EQ(paths(j["missing"]["regenerable"]["files"]), (std::set<std::string>{files[1]}));
  ASSERT_EQ(j["orphans"].size(), 1u);
  EXPECT_EQ(j["orphans"][0]["path"], orphan);
  ASSERT_EQ(j["foreign"].size(), 1u);
  EXPECT_EQ(j["foreign"][0]["id"], foreign);
  EXPECT_EQ(j["summary"]["missing"]["irreplaceable"], 2);
  EXPECT_EQ(j["summary"]["missing"]["regenerable"], 1);
  EXPECT_EQ(j["summary"]["orphans"], 1);
  EXPECT_TRUE(fs::exists(orphan)) << "a scan never deletes";
  EXPECT_FALSE(fs::exists(files[1])) << "a scan never recreates";
}

TEST_F(StorageCliTest, ScanHelpDescribesTheClassesTheExitStatusAndTheJson) {
  auto r = keepsake({"storage", "scan", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"irreplaceable", "regenerable", "Generate Thumbnails",
                           "Transcode videos", "Exit status", "\"byKind\"", "\"jobs\""}) {
    EXPECT_TRUE(has(r.out, part)) << part << " in " << r.out;
  }
}

TEST_F(StorageCliTest, ScanMovesOrphansAsideAndRefusesADestinationInsideTheLibrary) {
  auto files = library(2);
  auto orphan = layout_->base_folder(StorageFolder::kThumbs) + "/" + user_ + "/left-over.tmp";
  write_text(orphan, "stray");
  keepsake::testing::TempDir aside;

  auto inside = keepsake({"storage", "scan", "--move-orphans",
                          layout_->base_folder(StorageFolder::kUpload) + "/orphans"});
  EXPECT_NE(inside.exit_code, 0);
  EXPECT_TRUE(fs::exists(orphan)) << "nothing moves when the destination is refused";

  auto moved = keepsake({"storage", "scan", "--json", "--move-orphans", aside.path() + "/o"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  auto j = nlohmann::json::parse(moved.out);
  EXPECT_EQ(j["summary"]["moved"], 1) << moved.out;
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_EQ(read_text(aside.path() + "/o/thumbs/" + user_ + "/left-over.tmp"), "stray");
  for (const auto& f : files) EXPECT_TRUE(fs::exists(f)) << "referenced files stay";

  auto again = keepsake({"storage", "scan", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["summary"]["orphans"], 0);
}

}  // namespace
}  // namespace keepsake::storage
