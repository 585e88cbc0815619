// Test fixture for the cleanup jobs: a bootstrapped Immich database, a media location in a temp
// folder, and helpers that seed rows and files.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/bootstrapped_database.h"
#include "jobs/queue.h"

namespace keepsake::jobs::testing {

class JobsDatabaseTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    media_ = tmp_.path() + "/media";
    outside_ = tmp_.path() + "/outside";
    std::filesystem::create_directories(media_);
    std::filesystem::create_directories(outside_);
    ensure_queue_schema(*conn_);
  }

  int64_t count(const std::string& sql, const db::Params& params = {}) {
    return conn_->exec(sql, params).int64(0, 0);
  }
  bool exists(const std::string& table, const std::string& id) {
    return count("SELECT count(*) FROM " + db::quote_ident(table) + " WHERE id = $1::uuid", {id}) == 1;
  }
  // Creates a file (and its folders) and returns its path.
  std::string touch(const std::string& path) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << "x";
    return path;
  }
  static bool on_disk(const std::string& path) { return std::filesystem::exists(path); }

  std::string user(const std::string& email, const std::string& deleted_ago = "",
                   const std::string& storage_label = "") {
    return conn_
        ->exec(R"(INSERT INTO "user" (email, name, "deletedAt", "storageLabel")
                  VALUES ($1, $1, CASE WHEN $2 = '' THEN NULL ELSE now() - $2::interval END,
                          nullif($3, ''))
                  RETURNING id)",
               {email, deleted_ago, storage_label})
        .text(0, 0);
  }

  std::string asset(const std::string& owner, const std::string& original_path,
                    const std::string& deleted_ago = "", const std::string& visibility = "timeline",
                    const std::string& local_date_time = "2020-01-01T12:00:00Z") {
    return conn_
        ->exec(R"(INSERT INTO asset ("deviceAssetId", "ownerId", "deviceId", type, "originalPath",
                                     "fileCreatedAt", "fileModifiedAt", checksum,
                                     "originalFileName", "localDateTime", "checksumAlgorithm",
                                     "deletedAt", status, visibility)
                  VALUES ('dev-' || gen_random_uuid(), $1, 'keepsake-test', 'IMAGE', $2, now(), now(),
                          decode(md5(random()::text), 'hex'), 'IMG.jpg', $5::timestamptz, 'sha1',
                          CASE WHEN $3 = '' THEN NULL ELSE now() - $3::interval END,
                          CASE WHEN $3 = '' THEN 'active' ELSE 'trashed' END::assets_status_enum,
                          $4::asset_visibility_enum)
                  RETURNING id)",
               {owner, original_path, deleted_ago, visibility, local_date_time})
        .text(0, 0);
  }

  void asset_file(const std::string& asset_id, const std::string& type, const std::string& path) {
    conn_->exec(R"(INSERT INTO asset_file ("assetId", type, path) VALUES ($1, $2, $3))",
                {asset_id, type, path});
  }

  keepsake::testing::TempDir tmp_;
  std::string media_;
  std::string outside_;
};

}  // namespace keepsake::jobs::testing
