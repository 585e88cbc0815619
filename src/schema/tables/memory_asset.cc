#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl memory_asset(const SchemaOptions&) {
  TableDecl t("memory_asset");
  t.column("memoriesId", kUuid).not_null();
  t.column("assetId", kUuid).not_null();
  t.create_date();
  t.update_date();
  t.uuid_v7("updateId");

  t.primary_key({"memoriesId", "assetId"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"memoriesId"}, "memory")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);

  t.index({"assetId"});
  t.index({"memoriesId"});
  t.index({"updateId"});

  t.after_delete_trigger("memory_asset_delete_audit", "pg_trigger_depth() <= 1");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
