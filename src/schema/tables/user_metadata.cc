#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl user_metadata(const SchemaOptions&) {
  TableDecl t("user_metadata");
  t.column("userId", kUuid).not_null();
  t.column("key", kVarchar).not_null();
  t.column("value", kJsonb).not_null();
  t.uuid_v7("updateId");
  t.update_date();

  t.primary_key({"userId", "key"});
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"updateId"}).named("IDX_user_metadata_update_id");
  t.index({"updatedAt"}).named("IDX_user_metadata_updated_at");

  t.after_delete_trigger("user_metadata_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger("user_metadata_updated_at");
  return t;
}

}  // namespace keepsake::schema::tables
