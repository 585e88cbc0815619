#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset(const SchemaOptions&) {
  TableDecl t("asset");
  t.generated_uuid();
  t.column("deviceAssetId", kVarchar).not_null();
  t.column("ownerId", kUuid).not_null();
  t.column("deviceId", kVarchar).not_null();
  t.column("type", kVarchar).not_null();
  t.column("originalPath", kVarchar).not_null();
  t.column("fileCreatedAt", kTimestamptz).not_null();
  t.column("fileModifiedAt", kTimestamptz).not_null();
  t.column("isFavorite", kBoolean).not_null().default_to("false");
  t.column("duration", kVarchar);
  t.column("checksum", kBytea).not_null();
  t.column("livePhotoVideoId", kUuid);
  t.update_date();
  t.create_date();
  t.column("originalFileName", kVarchar).not_null();
  t.column("thumbhash", kBytea);
  t.column("isOffline", kBoolean).not_null().default_to("false");
  t.column("libraryId", kUuid);
  t.column("isExternal", kBoolean).not_null().default_to("false");
  t.delete_date();
  t.column("localDateTime", kTimestamptz).not_null();
  t.column("stackId", kUuid);
  t.column("duplicateId", kUuid);
  t.column("status", "assets_status_enum").not_null().default_string("active");
  t.uuid_v7("updateId");
  t.column("visibility", "asset_visibility_enum").not_null().default_string("timeline");
  t.column("width", kInteger);
  t.column("height", kInteger);
  t.column("isEdited", kBoolean).not_null().default_to("false");
  t.column("checksumAlgorithm", "asset_checksum_algorithm_enum").not_null();

  t.primary_key({"id"});
  t.foreign_key({"libraryId"}, "library")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);
  t.foreign_key({"livePhotoVideoId"}, "asset")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kSetNull);
  t.foreign_key({"ownerId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"stackId"}, "stack").on_update(FkAction::kCascade).on_delete(FkAction::kSetNull);

  t.index({"ownerId", "checksum"})
      .named("UQ_assets_owner_checksum")
      .unique()
      .where("(\"libraryId\" IS NULL)")
      .override_row();
  t.index({"checksum"});
  t.index({"duplicateId"});
  t.index({"fileCreatedAt"});
  t.index({"id", "stackId"});
  t.index({"id"})
      .named("asset_id_timeline_notDeleted_idx")
      .where("visibility = 'timeline' AND \"deletedAt\" IS NULL",
             "((visibility = 'timeline'::asset_visibility_enum) AND (\"deletedAt\" IS NULL))")
      .override_row();
  t.index({"libraryId"});
  t.index({"livePhotoVideoId"});
  t.expression_index("asset_localDateTime_idx")
      .expression("((\"localDateTime\" at time zone 'UTC')::date)",
                  "(((\"localDateTime\" AT TIME ZONE 'UTC'::text))::date)")
      .override_row();
  t.expression_index("asset_localDateTime_month_idx")
      .expression(
          "(date_trunc('MONTH'::text, (\"localDateTime\" AT TIME ZONE 'UTC'::text)) AT TIME ZONE "
          "'UTC'::text)",
          "((date_trunc('MONTH'::text, (\"localDateTime\" AT TIME ZONE 'UTC'::text)) AT TIME ZONE "
          "'UTC'::text))")
      .override_row();
  t.index({"originalFileName"});
  t.expression_index("asset_originalFilename_trigram_idx")
      .using_method("gin")
      .expression("f_unaccent(\"originalFileName\") gin_trgm_ops",
                  "f_unaccent((\"originalFileName\")::text) gin_trgm_ops")
      .override_row();
  t.index({"originalPath", "libraryId"});
  t.index({"ownerId"});
  t.index({"ownerId", "libraryId", "checksum"})
      .unique()
      .where("(\"libraryId\" IS NOT NULL)")
      .override_row();
  t.index({"stackId"});
  t.index({"updateId"});

  t.after_delete_trigger("asset_delete_audit", "pg_trigger_depth() = 0");
  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
