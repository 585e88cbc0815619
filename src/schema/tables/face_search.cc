#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl face_search(const SchemaOptions& options) {
  TableDecl t("face_search");
  t.column("faceId", kUuid).not_null();
  add_embedding_column(t, options, options.face_dimension);

  t.primary_key({"faceId"});
  t.foreign_key({"faceId"}, "asset_face").on_delete(FkAction::kCascade);

  add_vector_index(t, options, "face_index");
  return t;
}

}  // namespace keepsake::schema::tables
