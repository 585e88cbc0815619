// The must-show drift checks: each test changes ONE thing in a bootstrapped database and asserts
// the exact report; the repair test shows that applying the SAFE steps (then, with consent, the
// DESTRUCTIVE ones) makes the live catalog identical to the declared one again.
#include "schema/drift_check.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "harness/bootstrapped_database.h"
#include "harness/spec_catalog.h"
#include "migrations/boot.h"
#include "migrations/bootstrap.h"
#include "schema/catalog_reader.h"
#include "schema/drift_apply.h"
#include "schema/immich_schema.h"

namespace keepsake::schema {
namespace {

std::vector<std::string> descriptions(const std::vector<DriftItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.description);
  return out;
}

class DriftCheckTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  static const Schema& declared() {
    static const Schema schema = immich_schema();
    return schema;
  }
  std::vector<std::string> drift() { return descriptions(detect_drift(*conn_, declared())); }
};

TEST_F(DriftCheckTest, FreshlyBootstrappedDatabaseHasNoDrift) {
  EXPECT_EQ(drift(), std::vector<std::string>{});
}

TEST_F(DriftCheckTest, DroppedIndexIsMissing) {
  conn_->exec("DROP INDEX asset_checksum_idx");
  EXPECT_EQ(drift(), std::vector<std::string>{"index \"asset_checksum_idx\" is missing"});
}

TEST_F(DriftCheckTest, ChangedDefaultIsReportedWithBothValues) {
  conn_->exec("ALTER TABLE asset ALTER COLUMN \"isFavorite\" SET DEFAULT true");
  EXPECT_EQ(drift(), std::vector<std::string>{
                         "column \"asset\".\"isFavorite\" default differs: expected false, found true"});
}

TEST_F(DriftCheckTest, ExtraTableIsTolerated) {
  conn_->exec("CREATE TABLE my_notes (id int PRIMARY KEY, note text)");
  EXPECT_EQ(drift(), std::vector<std::string>{});
}

TEST_F(DriftCheckTest, ExtraConstraintIsReported) {
  conn_->exec("ALTER TABLE asset ADD CONSTRAINT asset_path_check CHECK (\"originalPath\" <> '')");
  EXPECT_EQ(drift(),
            std::vector<std::string>{"constraint \"asset_path_check\" on table \"asset\" is extra"});
}

TEST_F(DriftCheckTest, AlteredFunctionBodyIsReported) {
  conn_->exec(
      "CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE "
      "PARALLEL SAFE STRICT RETURN lower($1)");
  EXPECT_EQ(drift(), std::vector<std::string>{"function \"f_unaccent\" differs"});
}

TEST_F(DriftCheckTest, DroppedTriggerIsMissing) {
  conn_->exec("DROP TRIGGER \"asset_updatedAt\" ON asset");
  EXPECT_EQ(drift(), std::vector<std::string>{"trigger \"asset_updatedAt\" is missing"});
}

// Immich's drift check ignores database parameters: a missing or different database setting
// (search_path here; VectorChord's vchordrq.probes alike) is a note with its ALTER DATABASE.
TEST_F(DriftCheckTest, DatabaseSettingsAreNotesNotDrift) {
  conn_->exec("ALTER DATABASE " + db::quote_ident(db_name_) + " RESET search_path");
  EXPECT_EQ(drift(), std::vector<std::string>{});
  auto report = check_drift(*conn_, declared());
  EXPECT_TRUE(report.drift.empty());
  ASSERT_EQ(descriptions(report.notes), std::vector<std::string>{"database setting \"search_path\" is missing"});
  EXPECT_EQ(report.notes[0].steps.at(0).sql,
            "ALTER DATABASE " + db::quote_ident(db_name_) + " SET search_path TO \"$user\", public, vectors;");

  Schema with_probes = declared();
  with_probes.database_settings.push_back({"vchordrq.probes", "1"});
  EXPECT_EQ(descriptions(detect_drift(*conn_, with_probes)), std::vector<std::string>{});
  EXPECT_EQ(descriptions(check_drift(*conn_, with_probes).notes),
            (std::vector<std::string>{"database setting \"search_path\" is missing",
                                      "database setting \"vchordrq.probes\" is missing"}));
}

TEST_F(DriftCheckTest, RepairRestoresTheDeclaredCatalog) {
  conn_->exec_script(R"sql(
    DROP INDEX asset_checksum_idx;
    ALTER TABLE asset ALTER COLUMN "isFavorite" SET DEFAULT true;
    CREATE TABLE my_notes (id int PRIMARY KEY, note text);
    ALTER TABLE asset ADD CONSTRAINT asset_path_check CHECK ("originalPath" <> '');
    CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE
      PARALLEL SAFE STRICT RETURN lower($1);
    DROP TRIGGER "asset_updatedAt" ON asset;
  )sql");
  auto items = detect_drift(*conn_, declared());
  ASSERT_EQ(descriptions(items),
            (std::vector<std::string>{"function \"f_unaccent\" differs",
                                      "column \"asset\".\"isFavorite\" default differs: expected "
                                      "false, found true",
                                      "constraint \"asset_path_check\" on table \"asset\" is extra",
                                      "index \"asset_checksum_idx\" is missing",
                                      "trigger \"asset_updatedAt\" is missing"}));

  auto result = apply_drift(*conn_, items, /*allow_destructive=*/false);
  EXPECT_EQ(result.applied.size(), 4u);
  EXPECT_EQ(result.skipped,
            std::vector<std::string>{"constraint \"asset_path_check\" on table \"asset\" is extra"});
  EXPECT_EQ(drift(),
            std::vector<std::string>{"constraint \"asset_path_check\" on table \"asset\" is extra"});

  apply_drift(*conn_, detect_drift(*conn_, declared()), /*allow_destructive=*/true);
  EXPECT_EQ(drift(), std::vector<std::string>{});
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM my_notes").int64(0, 0), 0);  // extra table kept

  // Byte for byte, by the spec's own catalog query (once the tolerated extra table is gone).
  conn_->exec("DROP TABLE my_notes");
  auto expected = keepsake::testing::without_schema(keepsake::testing::spec_catalog_json(), "keepsake");
  auto actual = keepsake::testing::without_schema(
      keepsake::testing::run_spec_catalog_query(*conn_), "keepsake");
  std::string diff = keepsake::testing::readable_diff(expected, actual);
  EXPECT_TRUE(diff.empty()) << diff;
}

TEST_F(DriftCheckTest, FailedRepairChangesNothing) {
  conn_->exec("DROP INDEX asset_checksum_idx");
  conn_->exec("ALTER TABLE asset ALTER COLUMN \"isFavorite\" SET DEFAULT true");
  auto items = detect_drift(*conn_, declared());
  ASSERT_EQ(items.size(), 2u);
  items.push_back({.description = "broken", .steps = {{"SELECT no_such_function();", Safety::kSafe, 99}}});
  try {
    apply_drift(*conn_, items, false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing was changed"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no_such_function"), std::string::npos);
  }
  EXPECT_EQ(drift().size(), 2u);  // both items are still there: the transaction rolled back
}

TEST_F(DriftCheckTest, BootCheckLogsImmichsWords) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "drift_test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%l|%v");
  spdlog::set_default_logger(logger);
  check_drift_at_boot(*conn_, declared());
  conn_->exec("DROP TRIGGER \"asset_updatedAt\" ON asset");
  auto items = check_drift_at_boot(*conn_, declared());
  spdlog::set_default_logger(previous);
  EXPECT_EQ(items.size(), 1u);
  EXPECT_EQ(out.str(),
            "info|Checking for schema drift\n"
            "info|No schema drift detected\n"
            "info|Checking for schema drift\n"
            "warning|Detected schema drift. For more information, see "
            "https://docs.immich.app/errors#schema-drift or run `keepsake schema check`\n"
            "warning|  - trigger \"asset_updatedAt\" is missing\n");
}

// The whole boot of an up-to-date database (migration check + drift check) changes nothing and
// reports no drift. Its duration is printed (budget: 150 ms), not asserted.
TEST_F(DriftCheckTest, BootOfAnUpToDateDatabaseChangesNothing) {
  Schema before = read_catalog(*conn_);
  std::vector<DriftItem> seen;
  bool checked = false;
  migrations::BootOptions options;
  auto start = std::chrono::steady_clock::now();
  auto report = migrations::run_database_boot(db_config_, options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  options.check_schema_drift = [&](db::Connection& c) {
    checked = true;
    seen = check_drift_at_boot(c, declared());
  };
  migrations::run_database_boot(db_config_, options);
  EXPECT_FALSE(report.bootstrapped);
  EXPECT_TRUE(report.keepsake_migrations_applied.empty());
  EXPECT_TRUE(checked);
  EXPECT_TRUE(seen.empty());
  EXPECT_TRUE(diff_schemas(before, read_catalog(*conn_)).empty());
  auto t0 = std::chrono::steady_clock::now();
  Schema live = read_catalog(*conn_);
  auto t1 = std::chrono::steady_clock::now();
  Schema declared_now = immich_schema();
  auto t2 = std::chrono::steady_clock::now();
  diff_schemas(declared_now, live);
  auto t3 = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0; };
  std::cout << "[ measure  ] read_catalog " << ms(t1 - t0) << " ms, immich_schema " << ms(t2 - t1)
            << " ms, diff " << ms(t3 - t2) << " ms\n";
  std::cout << "[ measure  ] boot of an up-to-date database: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

class DriftFlavourTest : public keepsake::testing::DatabaseTest {};

// Built-in vector mode legitimately differs from the spec (real[] embeddings, no vector index):
// compared against its own flavour it has no drift, against pgvector's it has.
TEST_F(DriftFlavourTest, BuiltinDatabaseMatchesTheBuiltinFlavour) {
  EXPECT_EQ(installed_vector_flavour(*conn_), VectorFlavour::kBuiltin);
  migrations::BootstrapOptions options;
  options.schema.vector = VectorFlavour::kBuiltin;
  migrations::bootstrap_immich_schema(*conn_, options);
  EXPECT_EQ(installed_vector_flavour(*conn_), VectorFlavour::kBuiltin);
  SchemaOptions builtin;
  builtin.vector = VectorFlavour::kBuiltin;
  EXPECT_EQ(descriptions(detect_drift(*conn_, immich_schema(builtin))), std::vector<std::string>{});
  EXPECT_FALSE(detect_drift(*conn_, immich_schema()).empty());
}

TEST_F(DriftCheckTest, InstalledFlavourOfTheFixtureIsPgvector) {
  EXPECT_EQ(installed_vector_flavour(*conn_), VectorFlavour::kPgvector);
}

}  // namespace
}  // namespace keepsake::schema
