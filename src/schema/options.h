// Parameters of the declared Immich schema: which vector extension backs the embedding columns
// and indexes, and their dimension. Plain data, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keepsake::schema {

enum class VectorFlavour {
  kPgvector,     // extension `vector`: vector(<dim>) columns, HNSW indexes (the spec's JSON)
  kVectorChord,  // extension `vchord` (pulls in `vector`): vchordrq indexes
  kPgvectoRs,    // extension `vectors`: vectors.vector(<dim>) columns, `vectors` indexes
  kBuiltin,      // no vector extension: real[] columns with a dimension check, no vector index
};

struct SchemaOptions {
  VectorFlavour vector = VectorFlavour::kPgvector;
  int clip_dimension = 512;  // smart_search.embedding
  int face_dimension = 512;  // face_search.embedding
  int clip_lists = 1;        // VectorChord `lists` of clip_index
  int face_lists = 1;        // VectorChord `lists` of face_index
};

// The PostgreSQL extension of a flavour ("vector", "vchord", "vectors"; "" for builtin).
std::string vector_extension_name(VectorFlavour flavour);

// Accepts the extension names and Immich's DB_VECTOR_EXTENSION spellings ("vector"/"pgvector",
// "vchord"/"vectorchord", "vectors"/"pgvecto.rs", "builtin"); std::nullopt otherwise.
std::optional<VectorFlavour> parse_vector_flavour(std::string_view name);

}  // namespace keepsake::schema
