#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_file(const SchemaOptions&) {
  TableDecl t("asset_file");
  t.generated_uuid();
  t.column("assetId", kUuid).not_null();
  t.create_date();
  t.update_date();
  t.column("type", kVarchar).not_null();
  t.column("path", kVarchar).not_null();
  t.uuid_v7("updateId");
  t.column("isEdited", kBoolean).not_null().default_to("false");
  t.column("isProgressive", kBoolean).not_null().default_to("false");
  t.column("isTransparent", kBoolean).not_null().default_to("false");

  t.primary_key({"id"});
  t.unique({"assetId", "type", "isEdited"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"assetId"});
  t.index({"updateId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
