#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_metadata_audit(const SchemaOptions&) {
  TableDecl t("asset_metadata_audit");
  t.uuid_v7("id");
  t.column("assetId", kUuid).not_null();
  t.column("key", kVarchar).not_null();
  t.column("deletedAt", kTimestamptz).not_null().default_to("clock_timestamp()");

  t.primary_key({"id"});

  t.index({"assetId"});
  t.index({"deletedAt"});
  t.index({"key"});
  return t;
}

}  // namespace keepsake::schema::tables
