#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl workflow(const SchemaOptions&) {
  TableDecl t("workflow");
  t.generated_uuid();
  t.column("ownerId", kUuid).not_null();
  t.column("triggerType", kVarchar).not_null();
  t.column("name", kVarchar);
  t.column("description", kVarchar).not_null();
  t.create_date();
  t.column("enabled", kBoolean).not_null().default_to("true");

  t.primary_key({"id"});
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"ownerId"});
  return t;
}

}  // namespace keepsake::schema::tables
