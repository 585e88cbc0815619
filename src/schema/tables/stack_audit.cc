#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl stack_audit(const SchemaOptions&) {
  TableDecl t("stack_audit");
  t.uuid_v7("id");
  t.column("stackId", kUuid).not_null();
  t.column("userId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"deletedAt"});
  return t;
}

}  // namespace keepsake::schema::tables
