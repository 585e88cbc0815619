#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl smart_search(const SchemaOptions& options) {
  TableDecl t("smart_search");
  t.column("assetId", kUuid).not_null();
  add_embedding_column(t, options, options.clip_dimension);

  t.primary_key({"assetId"});
  t.foreign_key({"assetId"}, "asset").on_delete(FkAction::kCascade);

  add_vector_index(t, options, "clip_index");
  return t;
}

}  // namespace keepsake::schema::tables
