#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl partner_audit(const SchemaOptions&) {
  TableDecl t("partner_audit");
  t.uuid_v7("id");
  t.column("sharedById", kUuid).not_null();
  t.column("sharedWithId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"deletedAt"});
  t.index({"sharedById"});
  t.index({"sharedWithId"});
  return t;
}

}  // namespace keepsake::schema::tables
