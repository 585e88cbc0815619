#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl kysely_migrations_lock(const SchemaOptions&) {
  TableDecl t("kysely_migrations_lock");
  t.column("id", "character varying(255)").not_null();
  t.column("is_locked", kInteger).not_null().default_to("0");

  t.primary_key({"id"});
  return t;
}

}  // namespace keepsake::schema::tables
