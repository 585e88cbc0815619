#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl stack(const SchemaOptions&) {
  TableDecl t("stack");
  t.generated_uuid();
  t.column("primaryAssetId", kUuid).not_null();
  t.column("ownerId", kUuid).not_null();
  t.create_date();
  t.update_date();
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.unique({"primaryAssetId"});
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"primaryAssetId"}, "asset");

  t.index({"ownerId"});
  t.index({"primaryAssetId"});

  t.after_delete_trigger("stack_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
