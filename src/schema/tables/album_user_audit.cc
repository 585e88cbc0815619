#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl album_user_audit(const SchemaOptions&) {
  TableDecl t("album_user_audit");
  t.uuid_v7("id");
  t.column("albumId", kUuid).not_null();
  t.column("userId", kUuid).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"albumId"});
  t.index({"deletedAt"});
  t.index({"userId"});
  return t;
}

}  // namespace keepsake::schema::tables
