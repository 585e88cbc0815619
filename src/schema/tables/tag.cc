#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl tag(const SchemaOptions&) {
  TableDecl t("tag");
  t.generated_uuid();
  t.column("userId", kUuid).not_null();
  t.column("value", kVarchar).not_null();
  t.create_date();
  t.update_date();
  t.column("color", kVarchar);
  t.column("parentId", kUuid);
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.unique({"userId", "value"});
  t.foreign_key({"parentId"}, "tag").on_delete(FkAction::kCascade);
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"parentId"});
  t.index({"updateId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
