#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl user_metadata_audit(const SchemaOptions&) {
  TableDecl t("user_metadata_audit");
  t.uuid_v7("id");
  t.column("userId", kUuid).not_null();
  t.column("key", kVarchar).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"deletedAt"}).named("IDX_user_metadata_audit_deleted_at");
  t.index({"key"}).named("IDX_user_metadata_audit_key");
  t.index({"userId"}).named("IDX_user_metadata_audit_user_id");
  return t;
}

}  // namespace keepsake::schema::tables
