#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl move_history(const SchemaOptions&) {
  TableDecl t("move_history");
  t.generated_uuid();
  t.column("entityId", kUuid).not_null();
  t.column("pathType", kVarchar).not_null();
  t.column("oldPath", kVarchar).not_null();
  t.column("newPath", kVarchar).not_null();

  t.primary_key({"id"});
  t.unique({"entityId", "pathType"}, "UQ_entityId_pathType");
  t.unique({"newPath"}, "UQ_newPath");
  return t;
}

}  // namespace keepsake::schema::tables
