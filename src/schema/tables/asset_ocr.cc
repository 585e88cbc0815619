#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_ocr(const SchemaOptions&) {
  TableDecl t("asset_ocr");
  t.generated_uuid();
  t.column("assetId", kUuid).not_null();
  t.column("x1", kReal).not_null();
  t.column("y1", kReal).not_null();
  t.column("x2", kReal).not_null();
  t.column("y2", kReal).not_null();
  t.column("x3", kReal).not_null();
  t.column("y3", kReal).not_null();
  t.column("x4", kReal).not_null();
  t.column("y4", kReal).not_null();
  t.column("boxScore", kReal).not_null();
  t.column("textScore", kReal).not_null();
  t.column("text", kText).not_null();
  t.column("isVisible", kBoolean).not_null().default_to("true");

  t.primary_key({"id"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"assetId"});
  return t;
}

}  // namespace keepsake::schema::tables
