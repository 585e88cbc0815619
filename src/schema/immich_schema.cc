#include "schema/immich_schema.h"

#include <algorithm>

#include "common/error.h"
#include "schema/functions.h"
#include "schema/tables/tables.h"

namespace keepsake::schema {
namespace {

std::vector<Extension> extensions(VectorFlavour flavour) {
  // Immich's initial migration creates them in this order; plpgsql ships with every database.
  std::vector<Extension> list = {
      {"plpgsql", "pg_catalog", ""}, {"uuid-ossp", "public", ""},     {"unaccent", "public", ""},
      {"cube", "public", ""},        {"earthdistance", "public", ""}, {"pg_trgm", "public", ""},
  };
  if (flavour == VectorFlavour::kVectorChord) list.push_back({"vector", "public", ""});
  if (flavour != VectorFlavour::kBuiltin) {
    list.push_back({vector_extension_name(flavour), "public", ""});
  }
  return list;
}

std::vector<DatabaseSetting> database_settings(VectorFlavour flavour) {
  // Written by migration 1746636476623-DropExtraIndexes; vchordrq.probes by the VectorChord boot.
  std::vector<DatabaseSetting> settings = {{"search_path", "\"$user\", public, vectors"}};
  if (flavour == VectorFlavour::kVectorChord) settings.push_back({"vchordrq.probes", "1"});
  return settings;
}

std::vector<Enum> enums() {
  return {
      {"asset_checksum_algorithm_enum", {"sha1", "sha1-path"}},
      {"asset_visibility_enum", {"archive", "timeline", "hidden", "locked"}},
      {"assets_status_enum", {"active", "trashed", "deleted"}},
      {"sourcetype", {"machine-learning", "exif", "manual"}},
  };
}

std::vector<Sequence> sequences() {
  Sequence audit;  // audit.id is a serial
  audit.name = "audit_id_seq";
  audit.owned_by = "audit.id";
  Sequence countries;  // naturalearth_countries.id is GENERATED ALWAYS AS IDENTITY
  countries.name = "naturalearth_countries_id_seq";
  countries.identity = true;
  countries.owned_by = "naturalearth_countries.id";
  return {audit, countries};
}

}  // namespace

std::string vector_extension_name(VectorFlavour flavour) {
  switch (flavour) {
    case VectorFlavour::kPgvector:
      return "vector";
    case VectorFlavour::kVectorChord:
      return "vchord";
    case VectorFlavour::kPgvectoRs:
      return "vectors";
    case VectorFlavour::kBuiltin:
      return "";
  }
  return "";
}

std::optional<VectorFlavour> parse_vector_flavour(std::string_view name) {
  if (name == "vector" || name == "pgvector") return VectorFlavour::kPgvector;
  if (name == "vchord" || name == "vectorchord") return VectorFlavour::kVectorChord;
  if (name == "vectors" || name == "pgvecto.rs") return VectorFlavour::kPgvectoRs;
  if (name == "builtin") return VectorFlavour::kBuiltin;
  return std::nullopt;
}

Schema immich_schema(const SchemaOptions& options) {
  if (options.clip_dimension < 1 || options.clip_dimension > 65536 || options.face_dimension < 1 ||
      options.face_dimension > 65536) {
    throw Error(ErrorKind::kInvalidArgument, "vector dimension must be between 1 and 65536");
  }
  Schema schema;
  schema.extensions = extensions(options.vector);
  schema.database_settings = database_settings(options.vector);
  schema.enums = enums();
  schema.sequences = sequences();
  for (const auto& f : immich_functions()) {
    schema.functions.push_back(f.function());
    schema.overrides.push_back(f.override_sql());
  }
  for (const auto& decl : tables::all_tables(options)) {
    schema.tables.push_back(decl.table());
    for (auto& row : decl.overrides()) schema.overrides.push_back(std::move(row));
  }
  std::sort(schema.overrides.begin(), schema.overrides.end(),
            [](const OverrideRow& a, const OverrideRow& b) { return a.name < b.name; });
  return schema;
}

}  // namespace keepsake::schema
