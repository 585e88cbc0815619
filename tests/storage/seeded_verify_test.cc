// `keepsake storage verify` as the real binary on a library seeded with `dev seed --files`: a clean
// library passes; deleted, bit-flipped and truncated originals are named exactly; a pass stopped
// part-way is continued by the next run; sha1-path assets are checked by their path; the throttle
// holds the read rate down.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "storage/checksum_verify.h"
#include "storage/seeded_library.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;
using Problems = std::map<std::string, std::string>;  // asset id -> problem

class SeededVerifyTest : public testing::SeededLibraryTest {
 protected:
  nlohmann::json verify(std::vector<std::string> extra, int expected_exit) {
    std::vector<std::string> args{"storage", "verify", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = keepsake(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err << r.out;
    return nlohmann::json::parse(r.out);
  }
  static Problems problems_of(const nlohmann::json& j) {
    Problems out;
    for (const auto& f : j["findings"]) out[f["assetId"]] = f["problem"];
    return out;
  }
  int64_t covered() {
    return conn_->exec("SELECT count(*) FROM asset WHERE status <> 'deleted'").int64(0, 0);
  }
  std::string path_of(const std::string& id) {
    return conn_->exec(R"(SELECT "originalPath" FROM asset WHERE id = $1)", {id}).text(0, 0);
  }
  // The n first covered asset ids (id order, which is the order a pass takes).
  std::vector<std::string> asset_ids(int n, const std::string& order = "id") {
    auto r = conn_->exec("SELECT id::text FROM asset WHERE status <> 'deleted' ORDER BY " + order +
                         " LIMIT " + std::to_string(n));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  }
  void flip_a_byte(const std::string& id) {
    std::fstream f(path_of(id), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(5);
    char c = 0;
    f.get(c);
    f.seekp(5);
    f.put(static_cast<char>(c ^ 0x01));
    ASSERT_TRUE(f.good()) << id;
  }
  void truncate(const std::string& id) {
    auto p = path_of(id);
    fs::resize_file(p, fs::file_size(p) / 2);
  }
  void hash_as_path(const std::string& id, const std::string& hashed_path) {
    conn_->exec(R"(UPDATE asset SET "checksumAlgorithm" = 'sha1-path', checksum = $2 WHERE id = $1)",
                {id, db::bytea_param(sha1_of("path:" + hashed_path))});
  }
  void remove(const std::string& id) { ASSERT_TRUE(fs::remove(path_of(id))) << id; }
};

TEST_F(SeededVerifyTest, ACleanLibraryPassesAndEveryOriginalIsRead) {
  auto j = verify({}, 0);
  EXPECT_EQ(j["findings"], nlohmann::json::array());
  EXPECT_EQ(j["pass"]["complete"], true);
  EXPECT_EQ(j["pass"]["resumed"], false);
  EXPECT_EQ(j["pass"]["total"], covered());
  EXPECT_EQ(j["pass"]["checked"], covered());
  EXPECT_EQ(j["run"]["checked"], covered());
  int64_t on_disk = 0;
  auto r = conn_->exec(R"(SELECT "originalPath" FROM asset WHERE status <> 'deleted')");
  for (int i = 0; i < r.rows(); ++i) on_disk += static_cast<int64_t>(fs::file_size(r.text(i, 0)));
  EXPECT_EQ(j["run"]["bytes"], on_disk);

  auto text = keepsake({"storage", "verify"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(has(text.out, "  problems: 0\n")) << text.out;
  EXPECT_TRUE(has(text.out, "(pass complete)")) << text.out;
}

TEST_F(SeededVerifyTest, NamesExactlyTheDeletedTheFlippedAndTheTruncatedOriginals) {
  auto ids = asset_ids(4, "md5(id::text)");
  remove(ids[0]);
  remove(ids[1]);
  flip_a_byte(ids[2]);
  truncate(ids[3]);

  auto j = verify({}, 1);
  EXPECT_EQ(problems_of(j), (Problems{{ids[0], "missing"},
                                      {ids[1], "missing"},
                                      {ids[2], "damaged"},
                                      {ids[3], "damaged"}}));
  for (const auto& f : j["findings"]) {
    auto row = conn_->exec(R"(SELECT a."ownerId"::text, a."originalPath", u.email FROM asset a
                              JOIN "user" u ON u.id = a."ownerId" WHERE a.id = $1)",
                           {f["assetId"].get<std::string>()});
    EXPECT_EQ(f["ownerId"], row.text(0, 0));
    EXPECT_EQ(f["path"], row.text(0, 1));
    EXPECT_EQ(f["ownerEmail"], row.text(0, 2));
  }

  auto text = keepsake({"storage", "verify", "--all"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_TRUE(has(text.err, "4 originals are damaged or missing")) << text.err;
  for (const auto& id : ids) EXPECT_TRUE(has(text.out, id + "  ")) << id << "\n" << text.out;
  EXPECT_TRUE(has(text.out, "  missing  " + ids[0])) << text.out;
  EXPECT_TRUE(has(text.out, "  damaged  " + ids[2])) << text.out;
}

// A status display (the console, GET /api/admin/files) gets the count and the first findings only:
// a library with thousands of missing originals must not load them all for one page.
TEST_F(SeededVerifyTest, TheStatusCountsEveryFindingAndCarriesOnlyTheFirst) {
  auto ids = asset_ids(static_cast<int>(storage::kStatusFindings) + 20);
  for (const auto& id : ids) remove(id);
  verify({}, 1);

  auto status = storage::read_verify_status(*conn_);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->finding_count, storage::kStatusFindings + 20);
  ASSERT_EQ(static_cast<int64_t>(status->findings.size()), storage::kStatusFindings);
  auto page = storage::read_verify_findings(*conn_, 0, storage::kStatusFindings);
  for (size_t i = 0; i < status->findings.size(); ++i) EXPECT_EQ(status->findings[i].path, page.findings[i].path);
}

TEST_F(SeededVerifyTest, AStoppedPassIsContinuedByTheNextRunAndAllStartsOver) {
  auto ids = asset_ids(static_cast<int>(covered()));
  ASSERT_GT(ids.size(), 200u);
  remove(ids[10]);            // inside the first slice
  flip_a_byte(ids.back());    // only the rest of the pass reaches it

  auto slice = verify({"--max-assets", "100"}, 1);
  EXPECT_EQ(slice["pass"]["complete"], false);
  EXPECT_EQ(slice["pass"]["checked"], 100);
  EXPECT_EQ(problems_of(slice), (Problems{{ids[10], "missing"}}));

  auto rest = verify({}, 1);
  EXPECT_EQ(rest["pass"]["resumed"], true);
  EXPECT_EQ(rest["pass"]["startedAt"], slice["pass"]["startedAt"]);
  EXPECT_EQ(rest["run"]["checked"], covered() - 100) << "the first 100 are not read again";
  EXPECT_EQ(rest["pass"]["complete"], true);
  EXPECT_EQ(problems_of(rest), (Problems{{ids[10], "missing"}, {ids.back(), "damaged"}}))
      << "the pass's findings include the earlier slice's";

  auto next = verify({"--max-assets", "5"}, 0);
  EXPECT_EQ(next["pass"]["resumed"], false) << "a finished pass is followed by a new one";
  EXPECT_EQ(next["pass"]["checked"], 5);
  EXPECT_EQ(next["findings"], nlohmann::json::array()) << "the first 5 are intact";

  auto again = verify({"--all", "--max-assets", "3"}, 0);
  EXPECT_EQ(again["pass"]["resumed"], false);
  EXPECT_EQ(again["pass"]["checked"], 3);
}

TEST_F(SeededVerifyTest, Sha1PathAssetsAreCheckedByTheirPathNotTheirContent) {
  auto ids = asset_ids(2);
  hash_as_path(ids[0], path_of(ids[0]));
  hash_as_path(ids[1], "/elsewhere/" + ids[1]);
  auto j = verify({}, 1);
  EXPECT_EQ(problems_of(j), (Problems{{ids[1], "path-changed"}}))
      << "the first's content is not the hashed path, yet it passes";

  remove(ids[0]);
  auto after = verify({"--all"}, 1);
  EXPECT_EQ(problems_of(after), (Problems{{ids[0], "missing"}, {ids[1], "path-changed"}}));
}

TEST_F(SeededVerifyTest, TheThrottleHoldsTheReadRateDown) {
  auto fast = verify({}, 0);
  double bytes = fast["run"]["bytes"].get<double>();
  ASSERT_GT(bytes, 0);
  std::string rate_for_one_second = std::to_string(bytes / 1e6);
  auto slow = verify({"--all", "--max-mb-per-second", rate_for_one_second}, 0);
  EXPECT_EQ(slow["run"]["bytes"].get<double>(), bytes);
  EXPECT_GE(slow["run"]["seconds"].get<double>(), 0.9);
  EXPECT_LT(fast["run"]["seconds"].get<double>(), 0.9) << "else the comparison proves nothing";
}

}  // namespace
}  // namespace keepsake::storage
