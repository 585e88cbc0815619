#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl asset_job_status(const SchemaOptions&) {
  TableDecl t("asset_job_status");
  t.column("assetId", kUuid).not_null();
  t.column("facesRecognizedAt", kTimestamptz);
  t.column("metadataExtractedAt", kTimestamptz);
  t.column("duplicatesDetectedAt", kTimestamptz);
  t.column("ocrAt", kTimestamptz);

  t.primary_key({"assetId"});
  t.foreign_key({"assetId"}, "asset").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);
  return t;
}

}  // namespace keepsake::schema::tables
