#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl kysely_migrations(const SchemaOptions&) {
  TableDecl t("kysely_migrations");
  t.column("name", "character varying(255)").not_null();
  t.column("timestamp", "character varying(255)").not_null();

  t.primary_key({"name"});
  return t;
}

}  // namespace keepsake::schema::tables
