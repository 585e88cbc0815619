#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl migration_overrides(const SchemaOptions&) {
  TableDecl t("migration_overrides");
  t.column("name", kVarchar).not_null();
  t.column("value", kJsonb).not_null();

  t.primary_key({"name"});
  return t;
}

}  // namespace keepsake::schema::tables
