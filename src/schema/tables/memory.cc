#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl memory(const SchemaOptions&) {
  TableDecl t("memory");
  t.generated_uuid();
  t.create_date();
  t.update_date();
  t.delete_date();
  t.column("ownerId", kUuid).not_null();
  t.column("type", kVarchar).not_null();
  t.column("data", kJsonb).not_null();
  t.column("isSaved", kBoolean).not_null().default_to("false");
  t.column("memoryAt", kTimestamptz).not_null();
  t.column("seenAt", kTimestamptz);
  t.column("showAt", kTimestamptz);
  t.column("hideAt", kTimestamptz);
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"ownerId"});
  t.index({"updateId"});

  t.after_delete_trigger("memory_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
