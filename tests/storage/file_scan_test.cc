#include "storage/file_scan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "storage/fs_helpers.h"
#include "storage/scan_record.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;
using testing::write_text;

// A library of `kAssets` assets on disk: original, thumbnail and preview per asset, a person
// thumbnail, a profile image, markers and a backup file.
class FileScanTest : public testing::StorageDbTest {
 protected:
  static constexpr int kAssets = 40;

  void SetUp() override {
    StorageDbTest::SetUp();
    layout_ = std::make_unique<StorageLayout>(media_.path());
    user_ = add_user();
    auto profile = layout_->profile_image(user_, "aaaa1111-0000-4000-8000-000000000000", "me.png");
    conn_->exec(R"(UPDATE "user" SET "profileImagePath" = $1)", {profile});
    write_text(profile, "png");
    for (int i = 0; i < kAssets; ++i) {
      auto id = add_asset(user_, "pending");
      auto original = layout_->original(user_, id, "IMG_" + std::to_string(i) + ".jpg");
      conn_->exec(R"(UPDATE asset SET "originalPath" = $1 WHERE id = $2)", {original, id});
      add_asset_file(id, "thumbnail", layout_->thumbnail(user_, id, "webp"));
      add_asset_file(id, "preview", layout_->preview(user_, id, "jpeg"));
      for (const auto& p : {original, layout_->thumbnail(user_, id, "webp"),
                            layout_->preview(user_, id, "jpeg")}) {
        write_text(p, "x");
        all_files_.push_back(p);
      }
    }
    auto person = add_person(user_, "");
    auto face = layout_->person_thumbnail(user_, person);
    conn_->exec(R"(UPDATE person SET "thumbnailPath" = $1)", {face});
    write_text(face, "jpeg");
    for (auto f : kStorageFolders) write_text(layout_->mount_marker(f), "1");
    write_text(layout_->backup("immich-db-backup-1.sql.gz"), "gz");
  }

  ScanSummary scan(ScanReport& report) {
    scan_storage(*conn_, *layout_, report, {.fetch_size = 7});
    return report.summary;
  }

  nlohmann::json json_of(const ScanReport& report) {
    std::stringstream s;
    report.write_json(s, layout_->media_location());
    return nlohmann::json::parse(s.str());
  }

  std::set<std::string> paths(const nlohmann::json& list) {
    std::set<std::string> out;
    for (const auto& e : list) out.insert(e["path"].get<std::string>());
    return out;
  }

  std::unique_ptr<StorageLayout> layout_;
  std::string user_;
  std::vector<std::string> all_files_;
};

TEST_F(FileScanTest, CleanLibraryHasNoFindings) {
  ScanReport report;
  auto s = scan(report);
  EXPECT_EQ(s.rows, kAssets * 3 + 2);
  EXPECT_EQ(s.files, kAssets * 3 + 2) << "markers and backups are not scanned";
  EXPECT_EQ(s.irreplaceable.count + s.regenerable.count + s.orphans + s.foreign, 0);
}

TEST_F(FileScanTest, ReportsExactlyTheDeletedAndAddedFilesAndForeignRows) {
  std::set<std::string> deleted = {all_files_[0], all_files_[17], all_files_[95]};
  for (const auto& p : deleted) fs::remove(p);
  std::set<std::string> orphans = {
      layout_->original(user_, "ffff0000-0000-4000-8000-000000000001", "stray.jpg"),
      layout_->base_folder(StorageFolder::kThumbs) + "/left-over.tmp",
      layout_->base_folder(StorageFolder::kLibrary) + "/admin/2024/a.b/c.jpg",
      layout_->base_folder(StorageFolder::kLibrary) + "/admin/2024/a.jpg"};
  for (const auto& p : orphans) write_text(p, "stray");
  auto foreign = add_asset(user_, "/somewhere/else/x.jpg");
  add_asset(user_, "/mnt/external-library/y.jpg", true);

  ScanReport report;
  auto s = scan(report);
  auto j = json_of(report);
  EXPECT_EQ(paths(j["orphans"]), orphans);
  EXPECT_EQ(paths(j["missing"]["irreplaceable"]["files"]),
            (std::set<std::string>{all_files_[0], "/somewhere/else/x.jpg",
                                   "/mnt/external-library/y.jpg"}));
  EXPECT_EQ(paths(j["missing"]["regenerable"]["files"]),
            (std::set<std::string>{all_files_[17], all_files_[95]}));
  ASSERT_EQ(j["foreign"].size(), 1u);
  EXPECT_EQ(j["foreign"][0]["id"], foreign);
  EXPECT_EQ(j["foreign"][0]["column"], "asset.originalPath");
  EXPECT_EQ(j["summary"]["orphans"], 4);
  EXPECT_EQ(s.irreplaceable.count, 3);
  EXPECT_EQ(s.regenerable.count, 2);

  std::stringstream text;
  report.write_text(text, layout_->media_location());
  EXPECT_NE(text.str().find("orphan files:   4"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find(*deleted.begin()), std::string::npos);
  for (const auto& p : deleted) EXPECT_FALSE(fs::exists(p)) << "the scan never recreates";
  for (const auto& p : orphans) EXPECT_TRUE(fs::exists(p)) << "the scan never deletes";
}

TEST_F(FileScanTest, RecordsTheCountsOfTheLastScanOnly) {
  EXPECT_FALSE(read_last_scan(*conn_));
  ScanReport clean;
  scan(clean);
  fs::remove(all_files_[0]);
  write_text(layout_->base_folder(StorageFolder::kThumbs) + "/left-over.tmp", "stray");
  ScanReport report;
  auto s = scan(report);
  auto last = read_last_scan(*conn_);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->summary.rows, s.rows);
  EXPECT_EQ(last->summary.files, s.files);
  EXPECT_EQ(last->summary.irreplaceable.count, 1);
  EXPECT_EQ(last->summary.orphans, 1);
  EXPECT_LE(last->started_at, last->finished_at);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM keepsake.storage_scan").int64(0, 0), 1);
}

TEST_F(FileScanTest, RecordsTheProblemFilesWithTheirAssetAndOwner) {
  EXPECT_THROW(read_scan_files(*conn_, "orphan", 0, 10), Error) << "no scan yet: kNotFound";
  conn_->exec(R"(UPDATE "user" SET "storageLabel" = 'admin')");
  fs::remove(all_files_[0]);  // the first asset's original
  fs::remove(all_files_[1]);  // and its thumbnail
  auto owned = layout_->base_folder(StorageFolder::kLibrary) + "/admin/2024/stray.jpg";
  auto loose = layout_->base_folder(StorageFolder::kThumbs) + "/left-over.tmp";
  auto by_id = layout_->base_folder(StorageFolder::kUpload) + "/" + user_ + "/x/y.jpg";
  for (const auto& p : {owned, loose, by_id}) write_text(p, "stray");
  ScanReport report;
  scan(report);
  auto asset = conn_->exec(R"(SELECT id::text FROM asset WHERE "originalPath" = $1)", {all_files_[0]}).text(0, 0);
  auto email = conn_->exec(R"(SELECT email FROM "user")").text(0, 0);

  auto original = read_scan_files(*conn_, "missing-irreplaceable", 0, 10);
  ASSERT_EQ(original.files.size(), 1u);
  EXPECT_EQ(original.total, 1);
  EXPECT_EQ(original.files[0].asset_id, asset);
  EXPECT_EQ(original.files[0].owner_email, email);
  EXPECT_EQ(original.files[0].kind, "original");
  auto thumbnail = read_scan_files(*conn_, "missing-regenerable", 0, 10);
  ASSERT_EQ(thumbnail.files.size(), 1u);
  EXPECT_EQ(thumbnail.files[0].asset_id, asset) << "an asset_file row names its asset";
  EXPECT_EQ(thumbnail.files[0].owner_id, user_);
  EXPECT_EQ(thumbnail.files[0].column, "asset_file.path");

  auto orphans = read_scan_files(*conn_, "orphan", 0, 10);
  EXPECT_EQ(orphans.total, 3);
  std::map<std::string, std::string> owner_of;
  for (const auto& f : orphans.files) owner_of[f.path] = f.owner_id;
  EXPECT_EQ(owner_of, (std::map<std::string, std::string>{{owned, user_}, {loose, ""}, {by_id, user_}}))
      << "the owner by storage label, by id, or none";
  auto second = read_scan_files(*conn_, "orphan", 1, 1);
  ASSERT_EQ(second.files.size(), 1u);
  EXPECT_EQ(second.files[0].path, orphans.files[1].path) << "pages in path order";
  EXPECT_THROW(read_scan_files(*conn_, "nonsense", 0, 10), Error);

  ScanReport clean;
  for (const auto& p : {owned, loose, by_id}) fs::remove(p);
  scan(clean);
  EXPECT_TRUE(read_scan_files(*conn_, "orphan", 0, 10).files.empty()) << "the next scan replaces the list";
}

TEST_F(FileScanTest, KeepsTheFirstThousandFilesOfAClassAndCountsAll) {
  auto folder = layout_->base_folder(StorageFolder::kUpload) + "/" + user_ + "/strays/";
  for (int i = 0; i < kScanFilesKept + 5; ++i) write_text(folder + std::to_string(10000 + i) + ".jpg", "x");
  ScanReport report;
  scan(report);
  auto page = read_scan_files(*conn_, "orphan", kScanFilesKept - 2, 10);
  EXPECT_EQ(page.total, kScanFilesKept + 5);
  EXPECT_EQ(page.kept, kScanFilesKept);
  ASSERT_EQ(page.files.size(), 2u);
  EXPECT_EQ(page.files[1].path, folder + std::to_string(10000 + kScanFilesKept - 1) + ".jpg");
}

TEST_F(FileScanTest, MovesOrphansAsideKeepingTheirRelativePaths) {
  auto stray = layout_->base_folder(StorageFolder::kUpload) + "/x/stray.jpg";
  write_text(stray, "stray");
  ScanReport report;
  scan(report);
  keepsake::testing::TempDir aside;
  move_orphans(*layout_, report, aside.path() + "/orphans");
  EXPECT_EQ(report.summary.moved, 1);
  EXPECT_FALSE(fs::exists(stray));
  EXPECT_EQ(testing::read_text(aside.path() + "/orphans/upload/x/stray.jpg"), "stray");
  ScanReport again;
  EXPECT_EQ(scan(again).orphans, 0);
  EXPECT_EQ(again.summary.irreplaceable.count + again.summary.regenerable.count, 0)
      << "referenced files were left alone";
}

TEST_F(FileScanTest, RefusesAnOrphanFolderInsideTheLibrary) {
  auto inside = layout_->base_folder(StorageFolder::kUpload) + "/orphans";
  EXPECT_THROW(check_orphan_destination(*layout_, inside), Error);
  EXPECT_THROW(check_orphan_destination(*layout_, media_.path()), Error);
  EXPECT_THROW(check_orphan_destination(*layout_, "relative"), Error);
  EXPECT_NO_THROW(check_orphan_destination(*layout_, layout_->base_folder(StorageFolder::kBackups) +
                                                         "/orphans"));
}

TEST_F(FileScanTest, MissingMountShowsEveryFileOfThatFolderAsMissing) {
  fs::remove_all(layout_->base_folder(StorageFolder::kThumbs));
  ScanReport report;
  auto s = scan(report);
  EXPECT_EQ(s.regenerable.count, kAssets * 2 + 1);
  EXPECT_EQ(s.regenerable.by_kind,
            (std::map<std::string, int64_t>{
                {"person_thumbnail", 1}, {"preview", kAssets}, {"thumbnail", kAssets}}));
  EXPECT_EQ(s.irreplaceable.count, 0) << "thumbs holds nothing the user made";
  EXPECT_EQ(s.orphans, 0);
}

// Each path column and asset_file type lands in its class; an unknown type is kept as
// irreplaceable, since no job is known to make it again.
TEST_F(FileScanTest, SplitsMissingFilesIntoIrreplaceableAndRegenerableKinds) {
  auto asset = conn_->exec("SELECT id FROM asset ORDER BY id LIMIT 1").text(0, 0);
  auto original =
      conn_->exec("SELECT \"originalPath\" FROM asset WHERE id = $1", {asset}).text(0, 0);
  fs::remove(original);
  fs::remove(conn_->exec(R"(SELECT "profileImagePath" FROM "user")").text(0, 0));
  add_asset_file(asset, "sidecar", original + ".xmp");
  add_asset_file(asset, "fullsize", layout_->fullsize(user_, asset, "jpeg"));
  add_asset_file(asset, "encoded_video", layout_->encoded_video(user_, asset));
  add_asset_file(asset, "hologram", layout_->base_folder(StorageFolder::kThumbs) + "/hologram.bin");
  fs::remove(layout_->person_thumbnail(user_, conn_->exec("SELECT id FROM person").text(0, 0)));

  ScanReport report;
  auto s = scan(report);
  EXPECT_EQ(s.irreplaceable.by_kind,
            (std::map<std::string, int64_t>{
                {"hologram", 1}, {"original", 1}, {"profile_image", 1}, {"sidecar", 1}}));
  EXPECT_EQ(s.irreplaceable.count, 4);
  EXPECT_EQ(s.regenerable.by_kind,
            (std::map<std::string, int64_t>{
                {"encoded_video", 1}, {"fullsize", 1}, {"person_thumbnail", 1}}));
  EXPECT_EQ(s.regenerable.count, 3);

  auto j = json_of(report);
  EXPECT_EQ(j["summary"]["missing"]["irreplaceable"], 4);
  EXPECT_EQ(j["missing"]["irreplaceable"]["byKind"]["sidecar"], 1);
  for (const auto& f : j["missing"]["irreplaceable"]["files"]) {
    if (f["kind"] == "profile_image") {
      EXPECT_EQ(f["column"], "user.profileImagePath");
    }
  }
  const auto& jobs = j["missing"]["regenerable"]["jobs"];
  ASSERT_EQ(jobs.size(), 2u) << jobs.dump();
  EXPECT_EQ(jobs[0]["name"], "Generate Thumbnails");
  EXPECT_EQ(jobs[0]["queue"], "thumbnailGeneration");
  EXPECT_EQ(jobs[0]["kinds"], (nlohmann::json{"fullsize", "person_thumbnail"}));
  EXPECT_EQ(jobs[1]["name"], "Transcode videos");
  EXPECT_EQ(jobs[1]["queue"], "videoConversion");

  std::stringstream text;
  report.write_text(text, layout_->media_location());
  auto t = text.str();
  EXPECT_NE(t.find("    irreplaceable: 4 (hologram 1, original 1, profile_image 1, sidecar 1)\n"
                   "    regenerable:   3 (encoded_video 1, fullsize 1, person_thumbnail 1)\n"),
            std::string::npos)
      << t;
  EXPECT_LT(t.find("Missing irreplaceable files"), t.find("Missing regenerable files")) << t;
  EXPECT_NE(t.find("Hint: "), std::string::npos) << t;
  EXPECT_NE(t.find("\"Generate Thumbnails\" (thumbnailGeneration) and \"Transcode videos\" "
                   "(videoConversion)"),
            std::string::npos)
      << t;
}

TEST_F(FileScanTest, NoHintWhenNothingRegenerableIsMissing) {
  fs::remove(all_files_[0]);
  ScanReport report;
  scan(report);
  std::stringstream text;
  report.write_text(text, layout_->media_location());
  EXPECT_EQ(text.str().find("Hint:"), std::string::npos) << text.str();
  EXPECT_EQ(json_of(report)["missing"]["regenerable"]["jobs"], nlohmann::json::array());
}

}  // namespace
}  // namespace keepsake::storage
