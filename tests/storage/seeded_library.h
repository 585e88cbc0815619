// A bootstrapped database seeded by the real binary with `dev seed --files` (300 assets and every
// file their rows name) under a temporary media location, and a way to run further commands.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/bootstrapped_database.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage::testing {

class SeededLibraryTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  using Paths = std::set<std::string>;

  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    auto seeded = keepsake({"dev", "seed", "--files", "--assets", "300", "--now", "2026-01-01",
                            "--no-progress", "--no-embeddings"});
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  }

  ProcessResult keepsake(std::vector<std::string> args,
                         const std::map<std::string, std::string>& extra_env = {}) {
    return run_keepsake(db_name_, media(), data_dir(), std::move(args), extra_env);
  }
  std::string media() const { return tmp_.path() + "/media"; }
  std::string data_dir() const { return tmp_.path() + "/data"; }

  // The first n values of the query's first column, in its order.
  Paths first(int n, const std::string& sql) {
    auto r = conn_->exec(sql + " ORDER BY 1 LIMIT " + std::to_string(n));
    Paths out;
    for (int i = 0; i < r.rows(); ++i) out.insert(r.text(i, 0));
    EXPECT_EQ(out.size(), static_cast<size_t>(n)) << sql;
    return out;
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  keepsake::testing::TempDir tmp_;
};

}  // namespace keepsake::storage::testing
