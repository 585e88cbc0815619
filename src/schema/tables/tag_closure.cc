#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl tag_closure(const SchemaOptions&) {
  TableDecl t("tag_closure");
  t.column("id_ancestor", kUuid).not_null();
  t.column("id_descendant", kUuid).not_null();

  t.primary_key({"id_ancestor", "id_descendant"});
  t.foreign_key({"id_ancestor"}, "tag").on_delete(FkAction::kCascade);
  t.foreign_key({"id_descendant"}, "tag").on_delete(FkAction::kCascade);

  t.index({"id_ancestor"});
  t.index({"id_descendant"});
  return t;
}

}  // namespace keepsake::schema::tables
