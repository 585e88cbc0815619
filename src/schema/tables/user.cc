#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl user(const SchemaOptions&) {
  TableDecl t("user");
  t.generated_uuid();
  t.column("email", kVarchar).not_null();
  t.column("password", kVarchar).not_null().default_string("");
  t.create_date();
  t.column("profileImagePath", kVarchar).not_null().default_string("");
  t.column("isAdmin", kBoolean).not_null().default_to("false");
  t.column("shouldChangePassword", kBoolean).not_null().default_to("true");
  t.delete_date();
  t.column("oauthId", kVarchar).not_null().default_string("");
  t.update_date();
  t.column("storageLabel", kVarchar);
  t.column("name", kVarchar).not_null().default_string("");
  t.column("quotaSizeInBytes", kBigint);
  t.column("quotaUsageInBytes", kBigint).not_null().default_to("0");
  t.column("status", kVarchar).not_null().default_string("active");
  t.column("profileChangedAt", kTimestamptz).not_null().default_to("now()");
  t.uuid_v7("updateId");
  t.column("avatarColor", kVarchar);
  t.column("pinCode", kVarchar);

  t.primary_key({"id"});
  t.unique({"email"});
  t.unique({"storageLabel"});

  t.index({"updateId"});
  t.index({"updatedAt", "id"});

  t.after_delete_trigger("user_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
