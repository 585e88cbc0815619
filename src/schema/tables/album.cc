#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl album(const SchemaOptions&) {
  TableDecl t("album");
  t.generated_uuid();
  t.column("ownerId", kUuid).not_null();
  t.column("albumName", kVarchar).not_null().default_string("Untitled Album");
  t.create_date();
  t.column("albumThumbnailAssetId", kUuid).comment("Asset ID to be used as thumbnail");
  t.update_date();
  t.column("description", kText).not_null().default_string("");
  t.delete_date();
  t.column("isActivityEnabled", kBoolean).not_null().default_to("true");
  t.column("order", kVarchar).not_null().default_string("desc");
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.foreign_key({"albumThumbnailAssetId"}, "asset")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kSetNull);
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"albumThumbnailAssetId"});
  t.index({"ownerId"});
  t.index({"updateId"});

  t.after_delete_trigger("album_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
