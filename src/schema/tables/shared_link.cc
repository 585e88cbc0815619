#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl shared_link(const SchemaOptions&) {
  TableDecl t("shared_link");
  t.generated_uuid();
  t.column("description", kVarchar);
  t.column("userId", kUuid).not_null();
  t.column("key", kBytea).not_null();
  t.column("type", kVarchar).not_null();
  t.create_date();
  t.column("expiresAt", kTimestamptz);
  t.column("allowUpload", kBoolean).not_null().default_to("false");
  t.column("albumId", kUuid);
  t.column("allowDownload", kBoolean).not_null().default_to("true");
  t.column("showExif", kBoolean).not_null().default_to("true");
  t.column("password", kVarchar);
  t.column("slug", kVarchar);

  t.primary_key({"id"});
  t.unique({"key"});
  t.unique({"slug"});
  t.foreign_key({"albumId"}, "album").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"albumId"});
  t.index({"key"});
  t.index({"userId"});
  return t;
}

}  // namespace keepsake::schema::tables
