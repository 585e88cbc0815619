#include "vector/vector_fixture.h"

namespace keepsake::vector::testing {

std::string param_name(const ::testing::TestParamInfo<Extension>& info) {
  return info.param == Extension::kBuiltin ? "builtin" : "pgvector";
}

void VectorFixture::SetUp() {
  DatabaseTest::SetUp();
  const bool builtin = ext() == Extension::kBuiltin;
  if (!builtin) conn_->exec("CREATE EXTENSION vector");
  std::string emb = builtin ? "real[]" : "vector(32)";
  conn_->exec_script(R"sql(
    CREATE TYPE asset_visibility_enum AS ENUM ('archive', 'timeline', 'hidden', 'locked');
    CREATE TABLE asset (id uuid PRIMARY KEY, "ownerId" uuid NOT NULL, type varchar NOT NULL,
      "fileCreatedAt" timestamptz NOT NULL, "createdAt" timestamptz NOT NULL DEFAULT now(),
      "isFavorite" boolean NOT NULL DEFAULT false, "deletedAt" timestamptz,
      visibility asset_visibility_enum NOT NULL DEFAULT 'timeline', "stackId" uuid,
      "duplicateId" uuid);
    CREATE TABLE asset_exif ("assetId" uuid PRIMARY KEY REFERENCES asset(id) ON DELETE CASCADE,
      make varchar, model varchar, "lensModel" varchar, city varchar, state varchar,
      country varchar, rating integer);
    CREATE TABLE album_asset ("albumId" uuid NOT NULL, "assetId" uuid NOT NULL REFERENCES asset(id)
      ON DELETE CASCADE, PRIMARY KEY ("albumId", "assetId"));
    CREATE TABLE tag_asset ("assetId" uuid NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
      "tagId" uuid NOT NULL, PRIMARY KEY ("assetId", "tagId"));
    CREATE TABLE tag_closure (id_ancestor uuid NOT NULL, id_descendant uuid NOT NULL);
    CREATE TABLE person (id uuid PRIMARY KEY, "birthDate" date);
    CREATE TABLE asset_face (id uuid PRIMARY KEY, "assetId" uuid NOT NULL REFERENCES asset(id)
      ON DELETE CASCADE, "personId" uuid REFERENCES person(id) ON DELETE SET NULL,
      "deletedAt" timestamptz, "isVisible" boolean NOT NULL DEFAULT true);
  )sql");
  conn_->exec("CREATE TABLE smart_search (\"assetId\" uuid PRIMARY KEY REFERENCES asset(id) ON "
              "DELETE CASCADE, embedding " + emb + " NOT NULL)");
  conn_->exec("CREATE TABLE face_search (\"faceId\" uuid PRIMARY KEY REFERENCES asset_face(id) ON "
              "DELETE CASCADE, embedding " + emb + " NOT NULL)");
  if (builtin) {
    conn_->exec(dimension_constraint_sql("smart_search", 32));
    migrations::apply_keepsake_migrations(*conn_);
    install_change_triggers(*conn_);
  } else {
    conn_->exec(vector_index_sql(Extension::kVector, "clip_index"));
    conn_->exec(vector_index_sql(Extension::kVector, "face_index"));
  }
  for (int i = 0; i < 5; ++i) owners_.push_back(new_uuid());
}

std::string VectorFixture::new_uuid() {
  return conn_->exec("SELECT gen_random_uuid()::text").text(0, 0);
}

std::vector<float> VectorFixture::random_vector(int dim) {
  std::normal_distribution<float> n(0, 1);
  std::vector<float> v(dim);
  for (auto& x : v) x = n(rng_);
  return v;
}

std::vector<std::string> VectorFixture::seed_assets(const std::string& owner, int n, int dim) {
  std::vector<std::string> ids;
  std::string copy_assets, copy_embeddings;
  for (int i = 0; i < n; ++i) {
    std::string id = new_uuid();
    ids.push_back(id);
    const char* type = i % 3 == 0 ? "VIDEO" : "IMAGE";
    copy_assets += id + "\t" + owner + "\t" + type + "\t2024-01-" + std::to_string(1 + i % 28) +
                   "T00:00:00Z\t" + (i % 4 == 0 ? "t" : "f") + "\n";
    std::string vec = vector_literal(random_vector(dim));
    if (ext() == Extension::kBuiltin) vec = "{" + vec.substr(1, vec.size() - 2) + "}";
    copy_embeddings += id + "\t" + vec + "\n";
  }
  conn_->copy_in_begin("COPY asset (id, \"ownerId\", type, \"fileCreatedAt\", \"isFavorite\") FROM STDIN");
  conn_->copy_in_put(copy_assets);
  conn_->copy_in_end();
  conn_->copy_in_begin("COPY smart_search (\"assetId\", embedding) FROM STDIN");
  conn_->copy_in_put(copy_embeddings);
  conn_->copy_in_end();
  return ids;
}

}  // namespace keepsake::vector::testing
