#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl plugin_filter(const SchemaOptions&) {
  TableDecl t("plugin_filter");
  t.generated_uuid();
  t.column("pluginId", kUuid).not_null();
  t.column("methodName", kVarchar).not_null();
  t.column("title", kVarchar).not_null();
  t.column("description", kVarchar).not_null();
  t.column("supportedContexts", kVarcharArray).not_null();
  t.column("schema", kJsonb);

  t.primary_key({"id"});
  t.unique({"methodName"});
  t.foreign_key({"pluginId"}, "plugin").on_update(FkAction::kCascade).on_delete(FkAction::kCascade);

  t.index({"methodName"});
  t.index({"pluginId"});
  t.index({"supportedContexts"}).using_method("gin").override_row();
  return t;
}

}  // namespace keepsake::schema::tables
