#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl version_history(const SchemaOptions&) {
  TableDecl t("version_history");
  t.generated_uuid();
  t.create_date();
  t.column("version", kVarchar).not_null();

  t.primary_key({"id"});
  return t;
}

}  // namespace keepsake::schema::tables
