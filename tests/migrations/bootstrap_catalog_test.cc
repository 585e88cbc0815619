// The must-show check: a database Keepsake bootstraps is indistinguishable from the spec's
// Immich v2.7.5 database, compared with the spec's own catalog query.
#include <gtest/gtest.h>

#include "harness/spec_catalog.h"
#include "harness/test_cluster.h"
#include "migrations/boot.h"
#include "migrations/bootstrap.h"

namespace keepsake {
namespace {

using testing::readable_diff;
using testing::run_spec_catalog_query;
using testing::spec_catalog_json;

class BootstrapCatalogTest : public testing::DatabaseTest {};

TEST_F(BootstrapCatalogTest, ImmichSchemaIsIdenticalToTheSpecCatalog) {
  migrations::bootstrap_immich_schema(*conn_);

  const auto expected = spec_catalog_json();
  const auto actual = run_spec_catalog_query(*conn_);
  const std::string diff = readable_diff(expected, actual);
  EXPECT_TRUE(diff.empty()) << diff;
  EXPECT_EQ(expected, actual);
}

TEST_F(BootstrapCatalogTest, FullBootDiffersFromTheSpecOnlyBySchemaKeepsake) {
  auto report = migrations::run_database_boot(db_config_, migrations::BootOptions{});
  ASSERT_TRUE(report.bootstrapped);

  const auto actual = run_spec_catalog_query(*conn_);
  const auto expected = testing::without_schema(spec_catalog_json(), "keepsake");
  const auto stripped = testing::without_schema(actual, "keepsake");
  const std::string diff = readable_diff(expected, stripped);
  EXPECT_TRUE(diff.empty()) << diff;
  bool has_keepsake = false;
  for (const auto& s : actual["schemas"]) has_keepsake |= s["name"] == "keepsake";
  EXPECT_TRUE(has_keepsake) << "Keepsake's own migrations did not create schema keepsake";
}

}  // namespace
}  // namespace keepsake
