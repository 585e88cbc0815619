#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl session(const SchemaOptions&) {
  TableDecl t("session");
  t.generated_uuid();
  t.column("token", kBytea).not_null();
  t.create_date();
  t.update_date();
  t.column("userId", kUuid).not_null();
  t.column("deviceType", kVarchar).not_null().default_string("");
  t.column("deviceOS", kVarchar).not_null().default_string("");
  t.uuid_v7("updateId");
  t.column("pinExpiresAt", kTimestamptz);
  t.column("expiresAt", kTimestamptz);
  t.column("parentId", kUuid);
  t.column("isPendingSyncReset", kBoolean).not_null().default_to("false");
  t.column("appVersion", kVarchar);

  t.primary_key({"id"});
  t.foreign_key({"parentId"}, "session")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"parentId"});
  t.index({"token"});
  t.index({"updateId"});
  t.index({"userId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
