// Runs the repair SQL of drift items: all selected steps in ONE transaction, in phase order, with
// search_path = public (the definitions are printed for it) and check_function_bodies = off.
// Destructive items never run unless allow_destructive is set; a failing statement rolls back
// everything and throws an Error naming the statement, so a failed repair changes nothing.
#pragma once

#include <string>
#include <vector>

#include "db/connection.h"
#include "schema/diff.h"

namespace keepsake::schema {

struct ApplyResult {
  std::vector<std::string> applied;  // descriptions of the items applied
  std::vector<std::string> skipped;  // destructive items left alone
  std::vector<std::string> statements;
};

ApplyResult apply_drift(db::Connection& conn, const std::vector<DriftItem>& items,
                        bool allow_destructive);

}  // namespace keepsake::schema
