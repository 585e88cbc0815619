#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl audit(const SchemaOptions&) {
  TableDecl t("audit");
  t.column("id", kInteger).not_null().default_to("nextval('audit_id_seq'::regclass)");
  t.column("entityType", kVarchar).not_null();
  t.column("entityId", kUuid).not_null();
  t.column("action", kVarchar).not_null();
  t.column("ownerId", kUuid).not_null();
  t.create_date();

  t.primary_key({"id"});

  t.index({"ownerId", "createdAt"});
  return t;
}

}  // namespace keepsake::schema::tables
