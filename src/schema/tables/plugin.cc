#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl plugin(const SchemaOptions&) {
  TableDecl t("plugin");
  t.generated_uuid();
  t.column("name", kVarchar).not_null();
  t.column("title", kVarchar).not_null();
  t.column("description", kVarchar).not_null();
  t.column("author", kVarchar).not_null();
  t.column("version", kVarchar).not_null();
  t.column("wasmPath", kVarchar).not_null();
  t.create_date();
  t.update_date();

  t.primary_key({"id"});
  t.unique({"name"});

  t.index({"name"});
  return t;
}

}  // namespace keepsake::schema::tables
