#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_edit(const SchemaOptions&) {
  TableDecl t("asset_edit");
  t.generated_uuid();
  t.column("assetId", kUuid).not_null();
  t.column("action", kVarchar).not_null();
  t.column("parameters", kJsonb).not_null();
  t.column("sequence", kInteger).not_null();
  t.update_date();
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.unique({"assetId", "sequence"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"assetId"});
  t.index({"updateId"});

  t.after_delete_trigger("asset_edit_audit", "pg_trigger_depth() = 0");
  t.after_delete_trigger("asset_edit_delete", "pg_trigger_depth() = 0", "deleted_edit");
  t.after_insert_trigger("asset_edit_insert", "inserted_edit");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
