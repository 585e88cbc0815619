#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl system_metadata(const SchemaOptions&) {
  TableDecl t("system_metadata");
  t.column("key", kVarchar).not_null();
  t.column("value", kJsonb).not_null();

  t.primary_key({"key"});
  return t;
}

}  // namespace keepsake::schema::tables
