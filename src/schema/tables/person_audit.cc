#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl person_audit(const SchemaOptions&) {
  TableDecl t("person_audit");
  t.uuid_v7("id");
  t.column("personId", kUuid).not_null();
  t.column("ownerId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"deletedAt"});
  t.index({"ownerId"});
  t.index({"personId"});
  return t;
}

}  // namespace keepsake::schema::tables
