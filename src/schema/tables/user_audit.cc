#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl user_audit(const SchemaOptions&) {
  TableDecl t("user_audit");
  t.column("userId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");
  t.uuid_v7("id");

  t.primary_key({"id"});

  t.index({"deletedAt"});
  return t;
}

}  // namespace keepsake::schema::tables
