#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl naturalearth_countries(const SchemaOptions&) {
  TableDecl t("naturalearth_countries");
  t.column("id", kInteger).identity_always();
  t.column("admin", "character varying(50)").not_null();
  t.column("admin_a3", "character varying(3)").not_null();
  t.column("type", "character varying(50)").not_null();
  t.column("coordinates", "polygon").not_null();

  t.primary_key({"id"}, "fillfactor = 100");
  return t;
}

}  // namespace keepsake::schema::tables
