#include "schema/diff.h"

#include <gtest/gtest.h>

namespace keepsake::schema {
namespace {

Schema small_schema() {
  Schema s;
  s.extensions = {{"uuid-ossp", "public", "1.1"}};
  s.database_settings = {{"search_path", "\"$user\", public, vectors"}};
  s.enums = {{"sourcetype", {"machine-learning", "exif", "manual"}}};
  s.functions = {{"f_unaccent", "text", "CREATE OR REPLACE FUNCTION public.f_unaccent(text)\n body\n"}};
  Table asset;
  asset.name = "asset";
  asset.columns = {{"id", "uuid", true, "uuid_generate_v4()", {}, {}, {}},
                   {"isFavorite", "boolean", true, "false", {}, {}, {}}};
  asset.constraints = {{"asset_pkey", ConstraintType::kPrimaryKey, "PRIMARY KEY (id)"}};
  asset.indexes = {
      {"asset_pkey", "asset", true, true, "asset_pkey",
       "CREATE UNIQUE INDEX asset_pkey ON public.asset USING btree (id)"},
      {"asset_checksum_idx", "asset", false, false, {},
       "CREATE INDEX asset_checksum_idx ON public.asset USING btree (\"isFavorite\")"}};
  asset.triggers = {{"asset_updatedAt", "asset",
                     "CREATE TRIGGER \"asset_updatedAt\" BEFORE UPDATE ON public.asset FOR EACH "
                     "ROW EXECUTE FUNCTION updated_at()"}};
  s.tables = {asset};
  s.overrides = {{"index_x", "index", "x", "CREATE INDEX x ..."}};
  return s;
}

std::vector<std::string> descriptions(const std::vector<DriftItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.description);
  return out;
}

Table& asset(Schema& s) { return s.tables[0]; }

TEST(DiffTest, IdenticalSchemasHaveNoDrift) {
  EXPECT_TRUE(diff_schemas(small_schema(), small_schema()).empty());
}

TEST(DiffTest, MissingIndexIsSafeCreate) {
  Schema live = small_schema();
  asset(live).indexes.pop_back();
  auto items = diff_schemas(small_schema(), live);
  ASSERT_EQ(descriptions(items), std::vector<std::string>{"index \"asset_checksum_idx\" is missing"});
  EXPECT_EQ(items[0].safety(), Safety::kSafe);
  ASSERT_EQ(items[0].steps.size(), 1u);
  EXPECT_EQ(items[0].steps[0].sql,
            "CREATE INDEX asset_checksum_idx ON public.asset USING btree (\"isFavorite\");");
}

TEST(DiffTest, DefaultDifferenceNamesBothValues) {
  Schema live = small_schema();
  asset(live).columns[1].default_expr = "true";
  auto items = diff_schemas(small_schema(), live);
  ASSERT_EQ(descriptions(items),
            std::vector<std::string>{
                "column \"asset\".\"isFavorite\" default differs: expected false, found true"});
  EXPECT_EQ(items[0].steps[0].sql, "ALTER TABLE \"asset\" ALTER COLUMN \"isFavorite\" SET DEFAULT false;");
  EXPECT_EQ(items[0].safety(), Safety::kSafe);
}

TEST(DiffTest, TypeChangeIsDestructive) {
  Schema live = small_schema();
  asset(live).columns[1].type = "text";
  auto items = diff_schemas(small_schema(), live);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].description,
            "column \"asset\".\"isFavorite\" type differs: expected boolean, found text");
  EXPECT_EQ(items[0].safety(), Safety::kDestructive);
}

TEST(DiffTest, ExtrasFollowImmichIgnoreRules) {
  Schema live = small_schema();
  Table extra;
  extra.name = "my_table";
  live.tables.push_back(extra);
  asset(live).columns.push_back({"extra", "text", false, {}, {}, {}, {}});
  asset(live).indexes.push_back({"extra_idx", "asset", false, false, {}, "CREATE INDEX extra_idx"});
  asset(live).triggers.push_back({"extra_trg", "asset", "CREATE TRIGGER extra_trg"});
  live.database_settings.push_back({"work_mem", "64MB"});
  live.extensions.push_back({"pg_stat_statements", "public", "1.10"});
  EXPECT_TRUE(diff_schemas(small_schema(), live).empty());

  asset(live).constraints.push_back({"extra_check", ConstraintType::kCheck, "CHECK (true)"});
  live.functions.push_back({"my_fn", "", "CREATE OR REPLACE FUNCTION public.my_fn()"});
  live.enums.push_back({"my_enum", {"a"}});
  live.overrides.push_back({"index_y", "index", "y", "CREATE INDEX y"});
  auto items = diff_schemas(small_schema(), live);
  EXPECT_EQ(descriptions(items),
            (std::vector<std::string>{"enum \"my_enum\" is extra", "function \"my_fn\" is extra",
                                      "constraint \"extra_check\" on table \"asset\" is extra",
                                      "migration override \"index_y\" is extra"}));
  for (const auto& item : items) EXPECT_EQ(item.safety(), Safety::kDestructive) << item.description;
  EXPECT_EQ(items[2].steps[0].sql, "ALTER TABLE \"asset\" DROP CONSTRAINT \"extra_check\";");
}

TEST(DiffTest, FunctionAndTriggerChangesAreReplacedSafely) {
  Schema live = small_schema();
  live.functions[0].definition = "CREATE OR REPLACE FUNCTION public.f_unaccent(text)\n other\n";
  asset(live).triggers[0].definition = "CREATE TRIGGER \"asset_updatedAt\" AFTER UPDATE ...";
  auto items = diff_schemas(small_schema(), live);
  ASSERT_EQ(descriptions(items), (std::vector<std::string>{"function \"f_unaccent\" differs",
                                                           "trigger \"asset_updatedAt\" differs"}));
  EXPECT_EQ(items[0].steps[0].sql, "CREATE OR REPLACE FUNCTION public.f_unaccent(text)\n body;");
  EXPECT_EQ(items[1].steps[0].sql,
            "CREATE OR REPLACE TRIGGER \"asset_updatedAt\" BEFORE UPDATE ON public.asset FOR EACH "
            "ROW EXECUTE FUNCTION updated_at();");
  EXPECT_EQ(items[0].safety(), Safety::kSafe);
  EXPECT_EQ(items[1].safety(), Safety::kSafe);
}

TEST(DiffTest, MissingEverythingIsOrderedByKindAndAppliedInDependencyOrder) {
  Schema live;
  auto items = diff_schemas(small_schema(), live, {"immich"});
  EXPECT_EQ(descriptions(items),
            (std::vector<std::string>{"extension \"uuid-ossp\" is missing",
                                      "database setting \"search_path\" is missing",
                                      "enum \"sourcetype\" is missing",
                                      "function \"f_unaccent\" is missing",
                                      "table \"asset\" is missing",
                                      "migration override \"index_x\" is missing"}));
  auto steps = ordered_steps(items);
  std::vector<std::string> sql;
  for (const auto& s : steps) sql.push_back(s.sql);
  EXPECT_EQ(sql[0], "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA \"public\" CASCADE;");
  EXPECT_EQ(sql[1], "ALTER DATABASE \"immich\" SET search_path TO \"$user\", public, vectors;");
  EXPECT_EQ(sql[2], "CREATE TYPE \"sourcetype\" AS ENUM ('machine-learning', 'exif', 'manual');");
  EXPECT_EQ(sql[4],
            "CREATE TABLE \"asset\" (\"id\" uuid NOT NULL DEFAULT uuid_generate_v4(), \"isFavorite\" "
            "boolean NOT NULL DEFAULT false);");
  EXPECT_EQ(sql[5], "ALTER TABLE \"asset\" ADD CONSTRAINT \"asset_pkey\" PRIMARY KEY (id);");
  EXPECT_EQ(sql.back(),
            "INSERT INTO migration_overrides (name, value) VALUES ('index_x', "
            "jsonb_build_object('type', 'index', 'name', 'x', 'sql', 'CREATE INDEX x ...'));");
}

TEST(DiffTest, EnumLabelsAddedInPlaceOrRebuilt) {
  Schema live = small_schema();
  live.enums[0].labels = {"machine-learning", "manual"};
  auto items = diff_schemas(small_schema(), live);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].description,
            "enum \"sourcetype\" labels differ: expected [machine-learning, exif, manual], found "
            "[machine-learning, manual]");
  EXPECT_EQ(items[0].steps[0].sql,
            "ALTER TYPE \"sourcetype\" ADD VALUE IF NOT EXISTS 'exif' AFTER 'machine-learning';");
  EXPECT_EQ(items[0].safety(), Safety::kSafe);

  live.enums[0].labels = {"manual", "machine-learning", "exif"};
  items = diff_schemas(small_schema(), live);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].safety(), Safety::kDestructive);
}

TEST(DiffTest, OverrideRowsAreComparedAsData) {
  Schema live = small_schema();
  live.overrides[0].sql = "CREATE INDEX x ... changed";
  auto items = diff_schemas(small_schema(), live);
  ASSERT_EQ(descriptions(items), std::vector<std::string>{"migration override \"index_x\" differs"});
  EXPECT_NE(items[0].steps[0].sql.find("UPDATE migration_overrides SET value"), std::string::npos);
}

TEST(DiffTest, RenderedSqlMarksDestructiveSteps) {
  Schema live = small_schema();
  asset(live).constraints.push_back({"extra_check", ConstraintType::kCheck, "CHECK (true)"});
  asset(live).indexes.pop_back();
  std::string sql = render_sql(diff_schemas(small_schema(), live));
  EXPECT_EQ(sql,
            "-- DESTRUCTIVE\nALTER TABLE \"asset\" DROP CONSTRAINT \"extra_check\";\n"
            "CREATE INDEX asset_checksum_idx ON public.asset USING btree (\"isFavorite\");\n");
}

}  // namespace
}  // namespace keepsake::schema
