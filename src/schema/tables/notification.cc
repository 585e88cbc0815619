#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl notification(const SchemaOptions&) {
  TableDecl t("notification");
  t.generated_uuid();
  t.create_date();
  t.update_date();
  t.delete_date();
  t.uuid_v7("updateId");
  t.column("userId", kUuid);
  t.column("level", kVarchar).not_null().default_string("info");
  t.column("type", kVarchar).not_null().default_string("info");
  t.column("data", kJsonb);
  t.column("title", kVarchar).not_null();
  t.column("description", kText);
  t.column("readAt", kTimestamptz);

  t.primary_key({"id"});
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"updateId"});
  t.index({"userId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
