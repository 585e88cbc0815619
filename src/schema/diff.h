// Schema diff: compares the declared model (source) with a live one read by the catalog reader
// (target) and yields an ordered list of drift items, each in plain words with the SQL steps that
// reconcile it. Follows Immich's getSchemaDrift options (spec §3.8): extra tables, indexes,
// triggers, columns, database settings and extensions are tolerated; extra constraints,
// functions, enums and migration_overrides rows are reported; anything missing or different is
// reported (a missing or different database setting as a kSetting item, which drift_check.h
// turns into a note, never drift). Definitions are compared as the text PostgreSQL prints.
// Must never run SQL: callers decide what to apply (see drift_apply.h).
#pragma once

#include <string>
#include <vector>

#include "schema/model.h"

namespace keepsake::schema {

// SAFE steps create or add things, or replace a definition without touching stored rows.
// DESTRUCTIVE steps drop something, change a column type, or can otherwise lose data.
enum class Safety { kSafe, kDestructive };

const char* safety_name(Safety safety);  // "SAFE" / "DESTRUCTIVE"

struct SqlStep {
  std::string sql;  // one statement, ending with ';'
  Safety safety = Safety::kSafe;
  int phase = 0;    // apply order across items: drops first, then creates in dependency order
};

// The kind of object an item is about, in report order.
enum class DriftKind {
  kExtension, kSetting, kEnum, kFunction, kSequence, kTable, kColumn, kConstraint, kIndex, kTrigger, kOverride
};

struct DriftItem {
  DriftKind kind = DriftKind::kTable;
  std::string table;  // the table the object belongs to ("" for database-level objects)
  std::string name;   // the object's name (the table's own items: "")
  std::string description;  // e.g. `index "asset_checksum_idx" is missing`
  std::vector<SqlStep> steps;

  // DESTRUCTIVE when any step is; such an item is only applied as a whole with explicit consent.
  Safety safety() const;
};

struct DiffOptions {
  // Database name for ALTER DATABASE ... SET; empty = the current database (resolved by the
  // applier with a DO block).
  std::string database_name;
};

// The drift of `target` relative to `source`, ordered by object kind (extensions, database
// settings, enums, functions, sequences, tables, columns, constraints, indexes, triggers,
// migration_overrides rows), then by table and object name in byte order.
std::vector<DriftItem> diff_schemas(const Schema& source, const Schema& target,
                                    const DiffOptions& options = {});

// All steps of the items, in apply order (phase, then item order).
std::vector<SqlStep> ordered_steps(const std::vector<DriftItem>& items);

// The repair SQL as text: one line per statement, destructive ones marked with a comment.
std::string render_sql(const std::vector<DriftItem>& items);

}  // namespace keepsake::schema
