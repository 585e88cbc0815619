#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_face(const SchemaOptions&) {
  TableDecl t("asset_face");
  t.column("assetId", kUuid).not_null();
  t.column("personId", kUuid);
  t.column("imageWidth", kInteger).not_null().default_to("0");
  t.column("imageHeight", kInteger).not_null().default_to("0");
  t.column("boundingBoxX1", kInteger).not_null().default_to("0");
  t.column("boundingBoxY1", kInteger).not_null().default_to("0");
  t.column("boundingBoxX2", kInteger).not_null().default_to("0");
  t.column("boundingBoxY2", kInteger).not_null().default_to("0");
  t.generated_uuid();
  t.column("sourceType", "sourcetype").not_null().default_string("machine-learning");
  t.delete_date();
  t.update_date();
  t.uuid_v7("updateId");
  t.column("isVisible", kBoolean).not_null().default_to("true");

  t.primary_key({"id"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"personId"}, "person").on_update(FkAction::kCascade).on_delete(FkAction::kSetNull);

  t.index({"assetId", "personId"});
  t.index({"personId", "assetId"});
  t.index({"personId", "assetId"})
      .named("asset_face_personId_assetId_notDeleted_isVisible_idx")
      .where("\"deletedAt\" IS NULL AND \"isVisible\" IS TRUE",
             "((\"deletedAt\" IS NULL) AND (\"isVisible\" IS TRUE))")
      .override_row();

  t.after_delete_trigger("asset_face_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
