#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl geodata_places(const SchemaOptions&) {
  TableDecl t("geodata_places");
  t.column("id", kInteger).not_null();
  t.column("name", "character varying(200)").not_null();
  t.column("longitude", kDouble).not_null();
  t.column("latitude", kDouble).not_null();
  t.column("countryCode", "character(2)").not_null();
  t.column("admin1Code", "character varying(20)");
  t.column("admin2Code", "character varying(80)");
  t.column("modificationDate", kDate).not_null();
  t.column("admin1Name", kVarchar);
  t.column("admin2Name", kVarchar);
  t.column("alternateNames", kVarchar);

  t.primary_key({"id"});

  t.expression_index("IDX_geodata_gist_earthcoord")
      .expression("ll_to_earth_public(latitude, longitude)")
      .override_row();
  t.expression_index("idx_geodata_places_admin1_name")
      .using_method("gin")
      .expression("f_unaccent(\"admin1Name\") gin_trgm_ops",
                  "f_unaccent((\"admin1Name\")::text) gin_trgm_ops")
      .override_row();
  t.expression_index("idx_geodata_places_admin2_name")
      .using_method("gin")
      .expression("f_unaccent(\"admin2Name\") gin_trgm_ops",
                  "f_unaccent((\"admin2Name\")::text) gin_trgm_ops")
      .override_row();
  t.expression_index("idx_geodata_places_alternate_names")
      .using_method("gin")
      .expression("f_unaccent(\"alternateNames\") gin_trgm_ops",
                  "f_unaccent((\"alternateNames\")::text) gin_trgm_ops")
      .override_row();
  t.expression_index("idx_geodata_places_name")
      .using_method("gin")
      .expression("f_unaccent(\"name\") gin_trgm_ops", "f_unaccent((name)::text) gin_trgm_ops")
      .override_row();
  return t;
}

}  // namespace keepsake::schema::tables
