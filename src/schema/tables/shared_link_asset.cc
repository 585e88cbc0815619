#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl shared_link_asset(const SchemaOptions&) {
  TableDecl t("shared_link_asset");
  t.column("assetId", kUuid).not_null();
  t.column("sharedLinkId", kUuid).not_null();

  t.primary_key({"assetId", "sharedLinkId"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"sharedLinkId"}, "shared_link")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);

  t.index({"assetId"});
  t.index({"sharedLinkId"});
  return t;
}

}  // namespace keepsake::schema::tables
