// The schema model: Immich v2.7.5's database (tables, columns, constraints, indexes, triggers,
// functions, enums, extensions, sequences, database settings, migration_overrides rows), as C++
// values. The same types hold the declared schema (schema::immich_schema()) and a live database
// read by the catalog reader, so the diff compares like with like.
//
// Every object carries the text PostgreSQL's catalog functions print for it (pg_get_indexdef,
// pg_get_constraintdef, pg_get_triggerdef, pg_get_functiondef, format_type, pg_get_expr): the
// declared model computes it from its parts, the catalog reader reads it. Comparisons use it.
// This header holds plain data and no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace keepsake::schema {

struct Column {
  std::string name;
  std::string type;                         // format_type(): "uuid", "character varying", "vector(512)"
  bool not_null = false;
  std::optional<std::string> default_expr;  // pg_get_expr() of the default, e.g. "now()"
  std::optional<std::string> identity;      // "ALWAYS" or "BY DEFAULT"
  std::optional<std::string> generated;     // generation expression of a STORED generated column
  std::optional<std::string> comment;       // col_description(), e.g. on album.albumThumbnailAssetId
};

enum class ConstraintType { kPrimaryKey, kForeignKey, kUnique, kCheck };

struct Constraint {
  std::string name;
  ConstraintType type = ConstraintType::kPrimaryKey;
  std::string definition;  // pg_get_constraintdef(), e.g. "PRIMARY KEY (id)"
};

struct Index {
  std::string name;
  std::string table;
  bool unique = false;
  bool primary = false;
  std::optional<std::string> constraint;  // the PK/UNIQUE constraint it backs, if any
  std::string definition;                 // pg_get_indexdef()
};

struct Trigger {
  std::string name;
  std::string table;
  std::string definition;  // pg_get_triggerdef()
};

struct Table {
  std::string name;
  std::string schema = "public";
  std::vector<Column> columns;  // in attnum order
  std::vector<Constraint> constraints;
  std::vector<Index> indexes;   // including those backing PK/UNIQUE constraints
  std::vector<Trigger> triggers;

  const Column* find_column(const std::string& name) const;
  const Constraint* find_constraint(const std::string& name) const;
  const Index* find_index(const std::string& name) const;
  const Trigger* find_trigger(const std::string& name) const;
};

struct Function {
  std::string name;
  std::string identity_arguments;  // pg_get_function_identity_arguments()
  std::string definition;          // pg_get_functiondef()
};

struct Enum {
  std::string name;
  std::vector<std::string> labels;  // in sort order
};

struct Extension {
  std::string name;
  std::string schema = "public";
  std::string version;  // empty = whatever is available
};

struct DatabaseSetting {
  std::string name;   // e.g. "search_path"
  std::string value;  // e.g. "\"$user\", public, vectors"
};

struct Sequence {
  std::string name;
  std::string data_type = "integer";
  std::string start = "1", min = "1", max = "2147483647", increment = "1", cache = "1";
  bool cycle = false;
  bool identity = false;
  std::string owned_by;  // "table.column"
};

// A row of Immich's migration_overrides table (sql-tools bookkeeping, spec §1.5).
struct OverrideRow {
  std::string name;         // "function_<n>", "trigger_<n>", "index_<n>"
  std::string type;         // "function", "trigger", "index"
  std::string object_name;
  std::string sql;          // the canonical CREATE statement, byte for byte as Immich stores it
};

struct Schema {
  std::vector<Extension> extensions;
  std::vector<DatabaseSetting> database_settings;
  std::vector<Enum> enums;
  std::vector<Function> functions;
  std::vector<Sequence> sequences;
  std::vector<Table> tables;
  std::vector<OverrideRow> overrides;

  const Table* find_table(const std::string& name) const;
  const Function* find_function(const std::string& name) const;
  const Enum* find_enum(const std::string& name) const;
};

}  // namespace keepsake::schema
