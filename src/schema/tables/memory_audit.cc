#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl memory_audit(const SchemaOptions&) {
  TableDecl t("memory_audit");
  t.uuid_v7("id");
  t.column("memoryId", kUuid).not_null();
  t.column("userId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"deletedAt"});
  t.index({"memoryId"});
  t.index({"userId"});
  return t;
}

}  // namespace keepsake::schema::tables
