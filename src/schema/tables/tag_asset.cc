#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl tag_asset(const SchemaOptions&) {
  TableDecl t("tag_asset");
  t.column("assetId", kUuid).not_null();
  t.column("tagId", kUuid).not_null();

  t.primary_key({"assetId", "tagId"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"tagId"}, "tag").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"assetId"});
  t.index({"assetId", "tagId"});
  t.index({"tagId"});
  return t;
}

}  // namespace keepsake::schema::tables
