#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_metadata(const SchemaOptions&) {
  TableDecl t("asset_metadata");
  t.column("assetId", kUuid).not_null();
  t.column("key", kVarchar).not_null();
  t.column("value", kJsonb).not_null();
  t.uuid_v7("updateId");
  t.update_date();

  t.primary_key({"assetId", "key"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"updateId"});
  t.index({"updatedAt"});

  t.after_delete_trigger("asset_metadata_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger("asset_metadata_updated_at");
  return t;
}

}  // namespace keepsake::schema::tables
