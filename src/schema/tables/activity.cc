#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl activity(const SchemaOptions&) {
  TableDecl t("activity");
  t.generated_uuid();
  t.create_date();
  t.update_date();
  t.column("albumId", kUuid).not_null();
  t.column("userId", kUuid).not_null();
  t.column("assetId", kUuid);
  t.column("comment", kText);
  t.column("isLiked", kBoolean).not_null().default_to("false");
  t.uuid_v7("updateId");

  t.primary_key({"id"});
  t.foreign_key({"albumId", "assetId"}, "album_asset", {"albumId", "assetId"})
      .on_delete(FkAction::kCascade);
  t.foreign_key({"albumId"}, "album").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.foreign_key({"userId"}, "user").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  t.check("activity_like_check",
          "(((comment IS NULL) AND (\"isLiked\" = true)) OR ((comment IS NOT NULL) AND "
          "(\"isLiked\" = false)))");

  t.index({"albumId", "assetId"});
  t.index({"albumId"});
  t.index({"assetId"});
  t.index({"assetId", "userId", "albumId"})
      .named("activity_like_idx")
      .unique()
      .where("(\"isLiked\" = true)")
      .override_row();
  t.index({"updateId"});
  t.index({"userId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
