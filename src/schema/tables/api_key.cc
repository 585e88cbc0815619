#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl api_key(const SchemaOptions&) {
  TableDecl t("api_key");
  t.column("name", kVarchar).not_null();
  t.column("key", kBytea).not_null();
  t.column("userId", kUuid).not_null();
  t.create_date();
  t.update_date();
  t.generated_uuid();
  t.column("permissions", kVarcharArray).not_null();
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"key"});
  t.index({"updateId"});
  t.index({"userId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
