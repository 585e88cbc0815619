#include "schema/catalog_reader.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "harness/bootstrapped_database.h"
#include "harness/test_cluster.h"
#include "schema/diff.h"
#include "harness/paths.h"

namespace keepsake::schema {
namespace {

using keepsake::testing::BootstrappedDatabaseTest;
using keepsake::testing::DatabaseTest;

std::string spec_json_path() { return keepsake::testing::spec_dir() + "/immich-2.7.5-catalog.json"; }

class CatalogReaderTest : public DatabaseTest {};

TEST_F(CatalogReaderTest, ReadsHandMadeObjectsAsTheCatalogPrintsThem) {
  conn_->exec_script(R"sql(
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE SEQUENCE counter_seq START 5;
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TABLE "user" (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    CREATE TABLE item (
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      "ownerId" integer REFERENCES "user"(id) ON DELETE CASCADE,
      "isFavorite" boolean NOT NULL DEFAULT false,
      feeling mood,
      n integer DEFAULT nextval('counter_seq'::regclass),
      doubled integer GENERATED ALWAYS AS (n * 2) STORED,
      CONSTRAINT item_pkey PRIMARY KEY (id),
      CONSTRAINT item_n_check CHECK (n > 0));
    COMMENT ON COLUMN item.feeling IS 'how it feels';
    CREATE INDEX "item_ownerId_idx" ON item ("ownerId") WHERE "isFavorite";
    CREATE TRIGGER item_touch BEFORE UPDATE ON item FOR EACH ROW EXECUTE FUNCTION touch();
    ALTER TABLE item DROP COLUMN feeling;
    ALTER TABLE item ADD COLUMN feeling mood;
    COMMENT ON COLUMN item.feeling IS 'how it feels';
  )sql");
  conn_->exec("SET search_path = pg_catalog");  // the reader must not depend on the session
  conn_->exec("SET quote_all_identifiers = on");
  Schema s = read_catalog(*conn_);

  ASSERT_NE(s.find_enum("mood"), nullptr);
  EXPECT_EQ(s.find_enum("mood")->labels, (std::vector<std::string>{"sad", "happy"}));
  ASSERT_NE(s.find_function("touch"), nullptr);
  EXPECT_EQ(s.find_function("touch")->definition,
            "CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\n"
            "AS $function$ BEGIN RETURN NEW; END $function$\n");
  ASSERT_EQ(s.sequences.size(), 2u);
  EXPECT_EQ(s.sequences[0].name, "counter_seq");
  EXPECT_EQ(s.sequences[0].start, "5");
  EXPECT_FALSE(s.sequences[0].identity);
  EXPECT_EQ(s.sequences[1].name, "user_id_seq");
  EXPECT_TRUE(s.sequences[1].identity);
  EXPECT_EQ(s.sequences[1].owned_by, "\"user\".id");

  ASSERT_EQ(s.tables.size(), 2u);
  const Table& item = s.tables[0];
  EXPECT_EQ(item.name, "item");
  std::vector<std::string> names;
  for (const auto& c : item.columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"id", "ownerId", "isFavorite", "n", "doubled",
                                             "feeling"}));
  EXPECT_EQ(item.columns[0].default_expr, "gen_random_uuid()");
  EXPECT_TRUE(item.columns[0].not_null);
  EXPECT_EQ(item.columns[3].default_expr, "nextval('counter_seq'::regclass)");
  EXPECT_EQ(item.columns[4].generated, "(n * 2)");
  EXPECT_FALSE(item.columns[4].default_expr.has_value());
  EXPECT_EQ(item.columns[5].type, "mood");
  EXPECT_EQ(item.columns[5].comment, "how it feels");
  EXPECT_EQ(s.tables[1].columns[0].identity, "ALWAYS");

  ASSERT_NE(item.find_constraint("item_ownerId_fkey"), nullptr);
  EXPECT_EQ(item.find_constraint("item_ownerId_fkey")->definition,
            "FOREIGN KEY (\"ownerId\") REFERENCES \"user\"(id) ON DELETE CASCADE");
  EXPECT_EQ(item.find_constraint("item_n_check")->type, ConstraintType::kCheck);
  ASSERT_NE(item.find_index("item_pkey"), nullptr);
  EXPECT_EQ(item.find_index("item_pkey")->constraint, "item_pkey");
  EXPECT_TRUE(item.find_index("item_pkey")->primary);
  EXPECT_EQ(item.find_index("item_ownerId_idx")->definition,
            "CREATE INDEX \"item_ownerId_idx\" ON public.item USING btree (\"ownerId\") WHERE "
            "\"isFavorite\"");
  ASSERT_EQ(item.triggers.size(), 1u);
  EXPECT_EQ(item.triggers[0].definition,
            "CREATE TRIGGER item_touch BEFORE UPDATE ON public.item FOR EACH ROW EXECUTE FUNCTION "
            "touch()");
  EXPECT_TRUE(s.overrides.empty());  // no migration_overrides table here
  EXPECT_EQ(conn_->exec("SHOW search_path").text(0, 0), "pg_catalog");  // session untouched
}

TEST_F(CatalogReaderTest, LeavesExtensionMembersAndOtherSchemasOut) {
  conn_->exec_script(R"sql(
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE SCHEMA other;
    CREATE TABLE other.hidden (id int);
    CREATE TABLE visible (id int);
  )sql");
  Schema s = read_catalog(*conn_);
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables[0].name, "visible");
  EXPECT_TRUE(s.functions.empty());  // pg_trgm's functions belong to the extension
  bool has_trgm = false;
  for (const auto& e : s.extensions) has_trgm |= e.name == "pg_trgm" && e.schema == "public";
  EXPECT_TRUE(has_trgm);
}

TEST_F(CatalogReaderTest, ReadsInsideACallersTransactionWithoutEndingIt) {
  conn_->exec("BEGIN");
  conn_->exec("CREATE TABLE uncommitted (id int)");
  Schema s = read_catalog(*conn_);
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables[0].name, "uncommitted");
  conn_->exec("ROLLBACK");
  EXPECT_TRUE(read_catalog(*conn_).tables.empty());
}

TEST(CatalogJsonTest, LoadsTheSpecCatalog) {
  Schema s = load_catalog_json_file(spec_json_path());
  EXPECT_EQ(s.tables.size(), 61u);
  EXPECT_EQ(s.functions.size(), 22u);
  EXPECT_EQ(s.enums.size(), 4u);
  EXPECT_EQ(s.sequences.size(), 2u);
  EXPECT_EQ(s.overrides.size(), 81u);
  EXPECT_EQ(s.extensions.size(), 7u);
  ASSERT_EQ(s.database_settings.size(), 1u);
  EXPECT_EQ(s.database_settings[0].value, "\"$user\", public, vectors");
  const Column* fav = s.find_table("asset")->find_column("isFavorite");
  ASSERT_NE(fav, nullptr);
  EXPECT_EQ(fav->default_expr, "false");
}

TEST(CatalogJsonTest, RejectsMalformedInputClearly) {
  EXPECT_THROW(parse_catalog_json("{not json"), Error);
  try {
    parse_catalog_json(R"({"tables": [{"name": "t", "schema": "public", "columns": 3}]})");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("\"columns\" is not an array"), std::string::npos);
  }
  EXPECT_THROW(load_catalog_json_file("/nonexistent/catalog.json"), Error);
}

class CatalogReaderBootstrappedTest : public BootstrappedDatabaseTest {};

// The reader prints a bootstrapped database exactly as the spec's catalog describes it.
TEST_F(CatalogReaderBootstrappedTest, LiveCatalogMatchesTheSpecJson) {
  Schema spec = load_catalog_json_file(spec_json_path());
  Schema live = read_catalog(*conn_);
  std::string report;
  for (const auto& item : diff_schemas(spec, live)) report += item.description + "\n";
  for (const auto& item : diff_schemas(live, spec)) report += "reverse: " + item.description + "\n";
  EXPECT_EQ(report, "");
  EXPECT_EQ(live.tables.size(), 61u);
  EXPECT_EQ(live.overrides.size(), 81u);
}

}  // namespace
}  // namespace keepsake::schema
