#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl library(const SchemaOptions&) {
  TableDecl t("library");
  t.generated_uuid();
  t.column("name", kVarchar).not_null();
  t.column("ownerId", kUuid).not_null();
  t.column("importPaths", kTextArray).not_null();
  t.column("exclusionPatterns", kTextArray).not_null();
  t.create_date();
  t.update_date();
  t.delete_date();
  t.column("refreshedAt", kTimestamptz);
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"ownerId"});
  t.index({"updateId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
