#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl album_user(const SchemaOptions&) {
  TableDecl t("album_user");
  t.column("albumId", kUuid).not_null();
  t.column("userId", kUuid).not_null();
  t.column("role", kVarchar).not_null().default_string("editor");
  t.uuid_v7("updateId");
  t.update_date();
  t.uuid_v7("createId");
  t.create_date();

  t.primary_key({"albumId", "userId"});
  t.foreign_key({"albumId"}, "album").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"albumId"});
  t.index({"createId"});
  t.index({"updateId"});
  t.index({"userId"});

  t.after_insert_trigger("album_user_after_insert", "inserted_rows");
  t.after_delete_trigger("album_user_delete_audit", "pg_trigger_depth() <= 1");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
