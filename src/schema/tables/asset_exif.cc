#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_exif(const SchemaOptions&) {
  TableDecl t("asset_exif");
  t.column("assetId", kUuid).not_null();
  t.column("make", kVarchar);
  t.column("model", kVarchar);
  t.column("exifImageWidth", kInteger);
  t.column("exifImageHeight", kInteger);
  t.column("fileSizeInByte", kBigint);
  t.column("orientation", kVarchar);
  t.column("dateTimeOriginal", kTimestamptz);
  t.column("modifyDate", kTimestamptz);
  t.column("lensModel", kVarchar);
  t.column("fNumber", kDouble);
  t.column("focalLength", kDouble);
  t.column("iso", kInteger);
  t.column("latitude", kDouble);
  t.column("longitude", kDouble);
  t.column("city", kVarchar);
  t.column("state", kVarchar);
  t.column("country", kVarchar);
  t.column("description", kText).not_null().default_string("");
  t.column("fps", kDouble);
  t.column("exposureTime", kVarchar);
  t.column("livePhotoCID", kVarchar);
  t.column("timeZone", kVarchar);
  t.column("projectionType", kVarchar);
  t.column("profileDescription", kVarchar);
  t.column("colorspace", kVarchar);
  t.column("bitsPerSample", kInteger);
  t.column("autoStackId", kVarchar);
  t.column("rating", kInteger);
  t.column("updatedAt", kTimestamptz).not_null().default_to("clock_timestamp()");
  t.uuid_v7("updateId");
  t.column("lockedProperties", kVarcharArray);
  t.column("tags", kVarcharArray);

  t.primary_key({"assetId"});
  t.foreign_key({"assetId"}, "asset").on_delete(FkAction::kCascade);

  t.expression_index("IDX_asset_exif_gist_earthcoord")
      .using_method("gist")
      .expression("ll_to_earth_public(latitude, longitude)")
      .override_row();
  t.index({"autoStackId"});
  t.index({"city"});
  t.index({"livePhotoCID"});
  t.index({"updateId"});

  t.updated_at_trigger();
  return t;
}

}  // namespace keepsake::schema::tables
