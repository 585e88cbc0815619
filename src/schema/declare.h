// A small declaration API for Immich's schema: tables, columns, keys, indexes and triggers are
// written as code following Immich's (sql-tools) conventions, and every catalog text
// (pg_get_indexdef, pg_get_constraintdef, pg_get_triggerdef, pg_get_functiondef) and every
// migration_overrides row is computed from the parts. Declarations never hold pasted dumps.
// Builders only assemble plain model values; they never touch a database.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "schema/model.h"

namespace keepsake::schema {

// Column types as format_type() prints them.
inline constexpr const char* kUuid = "uuid";
inline constexpr const char* kTimestamptz = "timestamp with time zone";
inline constexpr const char* kVarchar = "character varying";
inline constexpr const char* kVarcharArray = "character varying[]";
inline constexpr const char* kText = "text";
inline constexpr const char* kTextArray = "text[]";
inline constexpr const char* kBoolean = "boolean";
inline constexpr const char* kInteger = "integer";
inline constexpr const char* kBigint = "bigint";
inline constexpr const char* kReal = "real";
inline constexpr const char* kRealArray = "real[]";
inline constexpr const char* kDouble = "double precision";
inline constexpr const char* kBytea = "bytea";
inline constexpr const char* kJsonb = "jsonb";
inline constexpr const char* kDate = "date";

enum class FkAction { kNoAction, kRestrict, kCascade, kSetNull, kSetDefault };

class ColumnDecl {
 public:
  explicit ColumnDecl(Column column) : column_(std::move(column)) {}
  ColumnDecl& not_null();
  ColumnDecl& default_to(std::string expression);        // catalog text, e.g. "now()", "false"
  ColumnDecl& default_string(const std::string& value);  // 'value'::<column type>
  ColumnDecl& identity_always();
  ColumnDecl& comment(std::string text);
  const Column& column() const { return column_; }

 private:
  Column column_;
};

class ForeignKeyDecl {
 public:
  ForeignKeyDecl(std::string table, std::vector<std::string> columns, std::string ref_table,
                 std::vector<std::string> ref_columns);
  ForeignKeyDecl& on_update(FkAction action);
  ForeignKeyDecl& on_delete(FkAction action);
  ForeignKeyDecl& named(std::string name);
  Constraint constraint() const;

 private:
  std::string name_;
  std::vector<std::string> columns_;
  std::string ref_table_;
  std::vector<std::string> ref_columns_;
  FkAction on_update_ = FkAction::kNoAction;
  FkAction on_delete_ = FkAction::kNoAction;
};

class IndexDecl {
 public:
  IndexDecl(std::string table, std::vector<std::string> columns);
  IndexDecl& named(std::string name);
  IndexDecl& unique();
  IndexDecl& using_method(std::string method);  // gin, gist, hnsw, ...
  // A key expression as Immich's code writes it, and as pg_get_indexdef prints it when different.
  IndexDecl& expression(std::string source, std::string catalog = {});
  // A partial-index predicate, as written in Immich's code and as PostgreSQL prints it.
  IndexDecl& where(std::string source, std::string catalog = {});
  IndexDecl& with(std::string storage_parameters);  // "ef_construction = 300, m = 16"
  // Immich keeps this index's SQL in migration_overrides.
  IndexDecl& override_row();

  const std::string& name() const { return name_; }
  bool has_override() const { return override_; }
  Index index() const;
  OverrideRow override_sql() const;

 private:
  std::string table_, name_;
  std::vector<std::string> columns_;
  bool unique_ = false, override_ = false;
  std::string method_;  // empty: btree
  std::optional<std::string> expression_, expression_catalog_;
  std::optional<std::string> where_, where_catalog_;
  std::optional<std::string> with_;
};

enum class TriggerTiming { kBefore, kAfter };
enum class TriggerEvent { kInsert, kUpdate, kDelete };

struct TriggerDecl {
  std::string name, table, function;
  TriggerTiming timing = TriggerTiming::kBefore;
  TriggerEvent event = TriggerEvent::kUpdate;
  bool for_each_row = true;
  std::optional<std::string> transition_table;  // REFERENCING OLD/NEW TABLE AS <name>
  std::optional<std::string> when;              // e.g. "pg_trigger_depth() = 0"

  Trigger trigger() const;
  OverrideRow override_sql() const;
};

class TableDecl {
 public:
  explicit TableDecl(std::string name) : name_(std::move(name)) {}

  ColumnDecl& column(std::string name, std::string type);
  ColumnDecl& generated_uuid(std::string name = "id");  // uuid NOT NULL DEFAULT uuid_generate_v4()
  ColumnDecl& uuid_v7(std::string name);                // uuid NOT NULL DEFAULT immich_uuid_v7()
  ColumnDecl& create_date(std::string name = "createdAt");  // timestamptz NOT NULL DEFAULT now()
  ColumnDecl& update_date(std::string name = "updatedAt");  // same; paired with updated_at_trigger
  ColumnDecl& delete_date(std::string name = "deletedAt");  // timestamptz, nullable

  // Constraints; names follow Immich's conventions (<table>_pkey, <table>_<cols>_uq,
  // <table>_<cols>_fkey) unless given.
  void primary_key(std::vector<std::string> columns, std::string index_with = {});
  void unique(std::vector<std::string> columns, std::string name = {});
  ForeignKeyDecl& foreign_key(std::vector<std::string> columns, std::string ref_table,
                              std::vector<std::string> ref_columns = {"id"});
  void check(std::string name, std::string catalog_expression);

  // Indexes; default name <table>_<cols>_idx.
  IndexDecl& index(std::vector<std::string> columns);
  // An index on an expression (add .expression(...)).
  IndexDecl& expression_index(std::string name);
  // Constraints added outside the usual helpers (e.g. a vector dimension check).
  void add_constraint(Constraint constraint);
  void add_trigger(TriggerDecl trigger);
  // An override row Immich keeps although the object differs here (face_index off pgvector).
  void add_override(OverrideRow row);

  // Triggers. `<table>_updatedAt` BEFORE UPDATE FOR EACH ROW EXECUTE FUNCTION updated_at().
  void updated_at_trigger(std::string name = {});
  // AFTER DELETE / INSERT statement triggers running the function of the same name.
  void after_delete_trigger(std::string name, std::string when,
                            std::string transition_table = "old");
  void after_insert_trigger(std::string name, std::string transition_table);

  const std::string& name() const { return name_; }
  Table table() const;
  // The migration_overrides rows of this table's triggers and flagged indexes.
  std::vector<OverrideRow> overrides() const;

 private:
  std::string name_;
  std::deque<ColumnDecl> columns_;
  std::vector<Constraint> constraints_;
  std::vector<std::string> constraint_index_with_;  // parallel to constraints_
  std::deque<ForeignKeyDecl> foreign_keys_;
  std::deque<IndexDecl> indexes_;
  std::vector<TriggerDecl> triggers_;
  std::vector<OverrideRow> extra_overrides_;
};

enum class Volatility { kUnspecified, kVolatile, kStable, kImmutable };

// A function as Immich's code declares it. `body` is the code's text (it goes into the
// migration_overrides row); `stored_body` is what the migration that created it left in the
// database, when that differs (immich_uuid_v7, ll_to_earth_public).
struct FunctionDecl {
  std::string name;
  std::string arguments;                        // as pg_get_functiondef prints them
  std::optional<std::string> source_arguments;  // as the code writes them, when different
  std::string returns = "trigger";              // as pg_get_functiondef prints it
  std::optional<std::string> source_returns;    // e.g. "TRIGGER", "public.earth"
  std::string language = "plpgsql";
  Volatility volatility = Volatility::kUnspecified;
  bool parallel_safe = false;
  bool strict = false;
  std::string body;  // between $$ ... $$
  std::optional<std::string> stored_body;
  // SQL-standard body (RETURN <expr>) instead of `body`: source text and catalog text.
  std::optional<std::string> return_expression, return_expression_catalog;

  Function function() const;
  OverrideRow override_sql() const;
};

// Identity arguments of a function argument list: names and types without DEFAULTs.
std::string identity_arguments(const std::string& arguments);

}  // namespace keepsake::schema
