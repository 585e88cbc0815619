#include "schema/tables/tables.h"

namespace keepsake::schema::tables {
namespace {

// Immich's vectorIndexQuery() options text per extension (server/src/utils/database.ts).
std::string vchord_options(int lists) {
  return "$$\n        residual_quantization = false\n        [build.internal]\n        lists = [" +
         std::to_string(lists) +
         "]\n        spherical_centroids = true\n        build_threads = 4\n"
         "        sampling_factor = 1024\n        $$";
}

const char* kPgvectoRsOptions =
    "$$\n        optimizing.optimizing_threads = 4\n        [indexing.hnsw]\n        m = 16\n"
    "        ef_construction = 300\n        $$";

IndexDecl pgvector_index(const std::string& table, const std::string& name) {
  IndexDecl index(table, {});
  index.named(name)
      .using_method("hnsw")
      .expression("embedding vector_cosine_ops")
      .with("ef_construction = 300, m = 16");
  return index;
}

}  // namespace

void add_embedding_column(TableDecl& table, const SchemaOptions& options, int dimension) {
  const std::string dim = std::to_string(dimension);
  switch (options.vector) {
    case VectorFlavour::kPgvector:
    case VectorFlavour::kVectorChord:
      table.column("embedding", "vector(" + dim + ")").not_null();
      return;
    case VectorFlavour::kPgvectoRs:
      table.column("embedding", "vectors.vector(" + dim + ")").not_null();
      return;
    case VectorFlavour::kBuiltin:
      table.column("embedding", kRealArray).not_null();
      table.add_constraint({"dim_size_constraint", ConstraintType::kCheck,
                            "CHECK ((array_length(embedding, 1) = " + dim + "))"});
      return;
  }
}

void add_vector_index(TableDecl& table, const SchemaOptions& options, const std::string& name) {
  const bool face = name == "face_index";
  // Immich's migrations wrote face_index's override row with the pgvector text, whatever the
  // extension; clip_index has none (synchronize: false).
  if (face && options.vector != VectorFlavour::kPgvector) {
    table.add_override(pgvector_index(table.name(), name).override_sql());
  }
  switch (options.vector) {
    case VectorFlavour::kPgvector: {
      auto& index = table.expression_index(name)
                        .using_method("hnsw")
                        .expression("embedding vector_cosine_ops")
                        .with("ef_construction = 300, m = 16");
      if (face) index.override_row();
      return;
    }
    case VectorFlavour::kVectorChord:
      table.expression_index(name)
          .using_method("vchordrq")
          .expression("embedding vector_cosine_ops")
          .with("options = " + vchord_options(face ? options.face_lists : options.clip_lists));
      return;
    case VectorFlavour::kPgvectoRs:
      table.expression_index(name)
          .using_method("vectors")
          .expression("embedding vector_cos_ops")
          .with(std::string("options = ") + kPgvectoRsOptions);
      return;
    case VectorFlavour::kBuiltin:
      return;
  }
}

}  // namespace keepsake::schema::tables
