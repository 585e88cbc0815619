#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl person(const SchemaOptions&) {
  TableDecl t("person");
  t.generated_uuid();
  t.create_date();
  t.update_date();
  t.column("ownerId", kUuid).not_null();
  t.column("name", kVarchar).not_null().default_string("");
  t.column("thumbnailPath", kVarchar).not_null().default_string("");
  t.column("isHidden", kBoolean).not_null().default_to("false");
  t.column("birthDate", kDate);
  t.column("faceAssetId", kUuid);
  t.column("isFavorite", kBoolean).not_null().default_to("false");
  t.column("color", kVarchar);
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.foreign_key({"faceAssetId"}, "asset_face").on_delete(FkAction::kSetNull);
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.check("person_birthDate_chk", "(\"birthDate\" <= CURRENT_DATE)");

  t.expression_index("idx_person_name_trigram")
      .using_method("gin")
      .expression("f_unaccent(\"name\") gin_trgm_ops", "f_unaccent((name)::text) gin_trgm_ops")
      .override_row();
  t.index({"faceAssetId"});
  t.index({"ownerId"});
  t.index({"updateId"});

  t.after_delete_trigger("person_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
