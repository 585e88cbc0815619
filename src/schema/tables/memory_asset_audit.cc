#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl memory_asset_audit(const SchemaOptions&) {
  TableDecl t("memory_asset_audit");
  t.uuid_v7("id");
  t.column("memoryId", kUuid).not_null();
  t.column("assetId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});
  t.foreign_key({"memoryId"}, "memory").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"assetId"});
  t.index({"deletedAt"});
  t.index({"memoryId"});
  return t;
}

}  // namespace keepsake::schema::tables
