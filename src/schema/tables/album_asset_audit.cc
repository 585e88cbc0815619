#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl album_asset_audit(const SchemaOptions&) {
  TableDecl t("album_asset_audit");
  t.uuid_v7("id");
  t.column("albumId", kUuid).not_null();
  t.column("assetId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});
  t.foreign_key({"albumId"}, "album").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"albumId"});
  t.index({"assetId"});
  t.index({"deletedAt"});
  return t;
}

}  // namespace keepsake::schema::tables
