#include "schema/drift_apply.h"

#include "common/error.h"

namespace keepsake::schema {

ApplyResult apply_drift(db::Connection& conn, const std::vector<DriftItem>& items,
                        bool allow_destructive) {
  ApplyResult result;
  std::vector<DriftItem> selected;
  for (const auto& item : items) {
    if (item.safety() == Safety::kDestructive && !allow_destructive) {
      result.skipped.push_back(item.description);
    } else {
      selected.push_back(item);
      result.applied.push_back(item.description);
    }
  }
  if (selected.empty()) return result;
  db::Transaction tx(conn);
  tx.exec("SET LOCAL search_path = public");
  tx.exec("SET LOCAL check_function_bodies = off");
  for (const auto& step : ordered_steps(selected)) {
    try {
      tx.exec(step.sql, {}, "repair schema drift");
    } catch (const Error& e) {
      throw Error(ErrorKind::kDatabase,
                  std::string("schema repair rolled back, nothing was changed: ") + e.what() +
                      " (statement: " + step.sql + ")",
                  "fix the cause or repair this item by hand", e.sqlstate());
    }
    result.statements.push_back(step.sql);
  }
  tx.commit();
  return result;
}

}  // namespace keepsake::schema
