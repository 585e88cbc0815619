// Test fixture for the storage module: a fresh database holding the columns the storage code
// reads (system_metadata and the four path-holding tables, typed as in the v2.7.5 catalog), a
// temporary media location, and helpers to insert rows.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/process.h"
#include "harness/test_cluster.h"

namespace keepsake::storage::testing {

// Runs the real keepsake binary against database `db_name` with IMMICH_MEDIA_LOCATION `media`
// and KEEPSAKE_DATA_DIR `data_dir`, plus `extra_env`.
ProcessOptions keepsake_options(const std::string& db_name, const std::string& media,
                                const std::string& data_dir, std::vector<std::string> args,
                                const std::map<std::string, std::string>& extra_env = {});
ProcessResult run_keepsake(const std::string& db_name, const std::string& media,
                           const std::string& data_dir, std::vector<std::string> args,
                           const std::map<std::string, std::string>& extra_env = {});

class StorageDbTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override;

  // Inserts a user and returns its id.
  std::string add_user(const std::string& profile_image_path = "");
  // Inserts an asset with originalPath and returns its id.
  std::string add_asset(const std::string& owner_id, const std::string& original_path,
                        bool external = false);
  void add_asset_file(const std::string& asset_id, const std::string& type,
                      const std::string& path);
  std::string add_person(const std::string& owner_id, const std::string& thumbnail_path);
  int64_t count(const std::string& sql);

  keepsake::testing::TempDir media_;
};

}  // namespace keepsake::storage::testing
