#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl partner(const SchemaOptions&) {
  TableDecl t("partner");
  t.column("sharedById", kUuid).not_null();
  t.column("sharedWithId", kUuid).not_null();
  t.create_date();
  t.update_date();
  t.column("inTimeline", kBoolean).not_null().default_to("false");
  t.uuid_v7("updateId");
  t.uuid_v7("createId");

  t.primary_key({"sharedById", "sharedWithId"});
  t.foreign_key({"sharedById"}, "user").on_delete(FkAction::kCascade);
  t.foreign_key({"sharedWithId"}, "user").on_delete(FkAction::kCascade);

  t.index({"createId"});
  t.index({"sharedWithId"});
  t.index({"updateId"});

  t.after_delete_trigger("partner_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
