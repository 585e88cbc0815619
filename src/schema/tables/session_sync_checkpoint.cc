#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl session_sync_checkpoint(const SchemaOptions&) {
  TableDecl t("session_sync_checkpoint");
  t.column("sessionId", kUuid).not_null();
  t.column("type", kVarchar).not_null();
  t.create_date();
  t.update_date();
  t.column("ack", kVarchar).not_null();
  t.uuid_v7("updateId");

  t.primary_key({"sessionId", "type"});
  t.foreign_key({"sessionId"}, "session")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);

  t.index({"sessionId"});
  t.index({"updateId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
