#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl workflow_filter(const SchemaOptions&) {
  TableDecl t("workflow_filter");
  t.generated_uuid();
  t.column("workflowId", kUuid).not_null();
  t.column("pluginFilterId", kUuid).not_null();
  t.column("filterConfig", kJsonb);
  t.column("order", kInteger).not_null();

  t.primary_key({"id"});
  t.foreign_key({"pluginFilterId"}, "plugin_filter")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);
  t.foreign_key({"workflowId"}, "workflow")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);

  t.index({"pluginFilterId"});
  t.index({"workflowId"});
  t.index({"workflowId", "order"});
  return t;
}

}  // namespace keepsake::schema::tables
