#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl ocr_search(const SchemaOptions&) {
  TableDecl t("ocr_search");
  t.column("assetId", kUuid).not_null();
  t.column("text", kText).not_null();

  t.primary_key({"assetId"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.expression_index("idx_ocr_search_text")
      .using_method("gin")
      .expression("f_unaccent(\"text\") gin_trgm_ops", "f_unaccent(text) gin_trgm_ops")
      .override_row();
  return t;
}

}  // namespace keepsake::schema::tables
