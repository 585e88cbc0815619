// The declared model against the spec's JSON, object by object and byte for byte, without a
// database; plus the vector flavours and the SQL generation.
#include "schema/immich_schema.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/error.h"
#include "harness/spec_catalog.h"
#include "migrations/immich_migrations.h"
#include "schema/ddl.h"
#include "schema/pg_text.h"

namespace keepsake::schema {
namespace {

const nlohmann::json& spec() {
  static const nlohmann::json json = testing::spec_catalog_json();
  return json;
}

const nlohmann::json* spec_table(const std::string& name) {
  for (const auto& t : spec()["tables"]) {
    if (t["name"] == name) return &t;
  }
  return nullptr;
}

std::string opt(const nlohmann::json& j) { return j.is_null() ? "(null)" : j.get<std::string>(); }
std::string opt(const std::optional<std::string>& s) { return s ? *s : "(null)"; }

const char* type_name(ConstraintType t) {
  switch (t) {
    case ConstraintType::kPrimaryKey:
      return "PRIMARY KEY";
    case ConstraintType::kForeignKey:
      return "FOREIGN KEY";
    case ConstraintType::kUnique:
      return "UNIQUE";
    case ConstraintType::kCheck:
      return "CHECK";
  }
  return "";
}

TEST(ImmichSchemaModel, HasTheSpecTotals) {
  Schema s = immich_schema();
  size_t columns = 0, constraints = 0, indexes = 0, backing = 0, triggers = 0;
  std::map<std::string, int> by_type;
  for (const auto& t : s.tables) {
    columns += t.columns.size();
    constraints += t.constraints.size();
    indexes += t.indexes.size();
    triggers += t.triggers.size();
    for (const auto& c : t.constraints) by_type[type_name(c.type)]++;
    for (const auto& i : t.indexes) backing += i.constraint.has_value();
  }
  const auto& counts = spec()["counts"];
  EXPECT_EQ(s.tables.size(), counts["tables"].get<size_t>());
  EXPECT_EQ(columns, counts["columns"].get<size_t>());
  EXPECT_EQ(constraints, counts["constraints"].get<size_t>());
  for (auto& [type, n] : counts["constraints_by_type"].items()) EXPECT_EQ(by_type[type], n) << type;
  EXPECT_EQ(indexes, counts["indexes"].get<size_t>());
  EXPECT_EQ(backing, counts["indexes_backing_constraints"].get<size_t>());
  EXPECT_EQ(triggers, counts["triggers"].get<size_t>());
  EXPECT_EQ(s.functions.size(), counts["functions"].get<size_t>());
  EXPECT_EQ(s.enums.size(), counts["enums"].get<size_t>());
  EXPECT_EQ(s.sequences.size(), counts["sequences"].get<size_t>());
  EXPECT_EQ(s.overrides.size(), counts["migration_overrides"].get<size_t>());
}

TEST(ImmichSchemaModel, TablesMatchTheSpecByteForByte) {
  Schema s = immich_schema();
  for (const auto& t : s.tables) {
    SCOPED_TRACE("table " + t.name);
    const nlohmann::json* j = spec_table(t.name);
    ASSERT_NE(j, nullptr);
    ASSERT_EQ(t.columns.size(), (*j)["columns"].size());
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const auto& c = t.columns[i];
      const auto& jc = (*j)["columns"][i];
      EXPECT_EQ(c.name, jc["name"]);
      EXPECT_EQ(c.type, jc["type"]) << c.name;
      EXPECT_EQ(c.not_null, jc["not_null"]) << c.name;
      EXPECT_EQ(opt(c.default_expr), opt(jc["default"])) << c.name;
      EXPECT_EQ(opt(c.identity), opt(jc["identity"])) << c.name;
      EXPECT_EQ(opt(c.comment), jc.contains("comment") ? opt(jc["comment"]) : "(null)") << c.name;
    }
    std::map<std::string, std::string> constraints, indexes, triggers;
    for (const auto& c : t.constraints) {
      constraints[c.name] = std::string(type_name(c.type)) + " | " + c.definition;
    }
    for (const auto& i : t.indexes) {
      indexes[i.name] = i.definition + (i.unique ? " [unique]" : "") + (i.primary ? " [pk]" : "") +
                        " [" + opt(i.constraint) + "]";
    }
    for (const auto& tr : t.triggers) triggers[tr.name] = tr.definition;
    std::map<std::string, std::string> jconstraints, jindexes, jtriggers;
    for (const auto& c : (*j)["constraints"]) {
      jconstraints[c["name"]] =
          c["type"].get<std::string>() + " | " + c["definition"].get<std::string>();
    }
    for (const auto& i : (*j)["indexes"]) {
      jindexes[i["name"]] = i["definition"].get<std::string>() + (i["unique"] ? " [unique]" : "") +
                            (i["primary"] ? " [pk]" : "") + " [" + opt(i["constraint"]) + "]";
    }
    for (const auto& tr : (*j)["triggers"]) jtriggers[tr["name"]] = tr["definition"];
    EXPECT_EQ(constraints, jconstraints);
    EXPECT_EQ(indexes, jindexes);
    EXPECT_EQ(triggers, jtriggers);
  }
}

TEST(ImmichSchemaModel, FunctionsEnumsSequencesAndSettingsMatchTheSpec) {
  Schema s = immich_schema();
  for (const auto& jf : spec()["functions"]) {
    const Function* f = s.find_function(jf["name"]);
    ASSERT_NE(f, nullptr) << jf["name"];
    EXPECT_EQ(f->definition, jf["definition"].get<std::string>()) << f->name;
    EXPECT_EQ(f->identity_arguments, jf["identity_arguments"].get<std::string>()) << f->name;
  }
  for (const auto& je : spec()["enums"]) {
    const Enum* e = s.find_enum(je["name"]);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(nlohmann::json(e->labels), je["labels"]);
  }
  ASSERT_EQ(s.sequences.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& js = spec()["sequences"][i];
    const auto& q = s.sequences[i];
    EXPECT_EQ(q.name, js["name"]);
    EXPECT_EQ(q.owned_by, js["owned_by"]);
    EXPECT_EQ(q.identity, js["identity"]);
    EXPECT_EQ(q.data_type, js["data_type"]);
    EXPECT_EQ(q.max, js["max"]);
  }
  ASSERT_EQ(s.database_settings.size(), 1u);
  EXPECT_EQ(s.database_settings[0].name, spec()["database_settings"][0]["name"]);
  EXPECT_EQ(s.database_settings[0].value, spec()["database_settings"][0]["value"]);
}

TEST(ImmichSchemaModel, OverrideRowsMatchTheSpecByteForByte) {
  Schema s = immich_schema();
  ASSERT_EQ(s.overrides.size(), spec()["migration_overrides"].size());
  for (size_t i = 0; i < s.overrides.size(); ++i) {
    const auto& j = spec()["migration_overrides"][i];
    const auto& o = s.overrides[i];
    EXPECT_EQ(o.name, j["name"]);
    EXPECT_EQ(o.type, j["value"]["type"]) << o.name;
    EXPECT_EQ(o.object_name, j["value"]["name"]) << o.name;
    EXPECT_EQ(o.sql, j["value"]["sql"].get<std::string>()) << o.name;
  }
}

TEST(ImmichSchemaModel, MigrationNamesAreTheSpecList) {
  EXPECT_EQ(nlohmann::json(migrations::immich_migration_names()), spec()["kysely_migrations"]);
}

TEST(ImmichSchemaModel, BuiltinFlavourUsesRealArraysWithADimensionCheck) {
  SchemaOptions options;
  options.vector = VectorFlavour::kBuiltin;
  options.clip_dimension = 768;
  Schema s = immich_schema(options);
  const Table* smart = s.find_table("smart_search");
  ASSERT_NE(smart, nullptr);
  EXPECT_EQ(smart->find_column("embedding")->type, "real[]");
  ASSERT_NE(smart->find_constraint("dim_size_constraint"), nullptr);
  EXPECT_EQ(smart->find_constraint("dim_size_constraint")->definition,
            "CHECK ((array_length(embedding, 1) = 768))");
  EXPECT_EQ(smart->find_index("clip_index"), nullptr);
  EXPECT_EQ(s.find_table("face_search")->find_index("face_index"), nullptr);
  for (const auto& e : s.extensions) EXPECT_NE(e.name, "vector");
  // Immich's face_index override row is kept whatever the extension.
  EXPECT_EQ(s.overrides.size(), 81u);
}

TEST(ImmichSchemaModel, VectorChordAndPgvectoRsIndexes) {
  SchemaOptions chord;
  chord.vector = VectorFlavour::kVectorChord;
  chord.clip_lists = 256;
  Schema c = immich_schema(chord);
  const Index* clip = c.find_table("smart_search")->find_index("clip_index");
  ASSERT_NE(clip, nullptr);
  EXPECT_NE(clip->definition.find("USING vchordrq (embedding vector_cosine_ops) WITH (options='"),
            std::string::npos);
  EXPECT_NE(clip->definition.find("lists = [256]"), std::string::npos);
  EXPECT_EQ(c.find_table("smart_search")->find_column("embedding")->type, "vector(512)");
  ASSERT_EQ(c.database_settings.size(), 2u);
  EXPECT_EQ(c.database_settings[1].name, "vchordrq.probes");

  SchemaOptions rs;
  rs.vector = VectorFlavour::kPgvectoRs;
  Schema r = immich_schema(rs);
  EXPECT_EQ(r.find_table("face_search")->find_column("embedding")->type, "vectors.vector(512)");
  EXPECT_NE(r.find_table("face_search")
                ->find_index("face_index")
                ->definition.find("USING vectors (embedding vector_cos_ops)"),
            std::string::npos);
}

TEST(ImmichSchemaModel, RejectsAnImpossibleDimension) {
  SchemaOptions options;
  options.clip_dimension = 0;
  EXPECT_THROW(immich_schema(options), Error);
}

TEST(ImmichSchemaModel, ParsesImmichsVectorExtensionNames) {
  EXPECT_EQ(parse_vector_flavour("pgvector"), VectorFlavour::kPgvector);
  EXPECT_EQ(parse_vector_flavour("vectorchord"), VectorFlavour::kVectorChord);
  EXPECT_EQ(parse_vector_flavour("pgvecto.rs"), VectorFlavour::kPgvectoRs);
  EXPECT_EQ(parse_vector_flavour("builtin"), VectorFlavour::kBuiltin);
  EXPECT_EQ(parse_vector_flavour("faiss"), std::nullopt);
}

TEST(PgText, QuotesLikePostgres) {
  EXPECT_EQ(pg_quote_ident("albumId"), "\"albumId\"");
  EXPECT_EQ(pg_quote_ident("user"), "\"user\"");
  EXPECT_EQ(pg_quote_ident("order"), "\"order\"");
  EXPECT_EQ(pg_quote_ident("key"), "key");
  EXPECT_EQ(pg_quote_ident("type"), "type");
  EXPECT_EQ(pg_quote_ident("id_ancestor"), "id_ancestor");
  EXPECT_EQ(pg_quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(pg_literal("it's"), "'it''s'");
}

TEST(SchemaDdl, CreatesExtensionsFirstAndOwnsSequencesLast) {
  auto statements = create_statements(immich_schema());
  ASSERT_FALSE(statements.empty());
  EXPECT_EQ(statements.front(), "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" SCHEMA public");
  EXPECT_EQ(statements.back(), "ALTER SEQUENCE public.audit_id_seq OWNED BY public.audit.id");
  std::set<std::string> unique(statements.begin(), statements.end());
  EXPECT_EQ(unique.size(), statements.size());
}

}  // namespace
}  // namespace keepsake::schema
