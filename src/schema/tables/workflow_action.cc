#include "schema/tables/tables.h"

namespace keepsake::schema::tables {

TableDecl workflow_action(const SchemaOptions&) {
  TableDecl t("workflow_action");
  t.generated_uuid();
  t.column("workflowId", kUuid).not_null();
  t.column("pluginActionId", kUuid).not_null();
  t.column("actionConfig", kJsonb);
  t.column("order", kInteger).not_null();

  t.primary_key({"id"});
  t.foreign_key({"pluginActionId"}, "plugin_action")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);
  t.foreign_key({"workflowId"}, "workflow")
      .on_update(FkAction::kCascade)
      .on_delete(FkAction::kCascade);

  t.index({"pluginActionId"});
  t.index({"workflowId"});
  t.index({"workflowId", "order"});
  return t;
}

}  // namespace keepsake::schema::tables
