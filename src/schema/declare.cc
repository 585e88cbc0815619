#include "schema/declare.h"

#include "common/error.h"
#include "schema/pg_text.h"

namespace keepsake::schema {
namespace {

std::string name_from(const std::string& table, const std::vector<std::string>& cols,
                      const std::string& suffix) {
  return table + "_" + join(cols, "_") + "_" + suffix;
}

const char* action_text(FkAction action) {
  switch (action) {
    case FkAction::kNoAction:
      return "NO ACTION";
    case FkAction::kRestrict:
      return "RESTRICT";
    case FkAction::kCascade:
      return "CASCADE";
    case FkAction::kSetNull:
      return "SET NULL";
    case FkAction::kSetDefault:
      return "SET DEFAULT";
  }
  return "";
}

// "ef_construction = 300, m = 16" -> "ef_construction='300', m='16'" (pg_get_indexdef's form).
std::string catalog_storage_parameters(const std::string& source) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= source.size()) {
    size_t comma = source.find(',', start);
    std::string item =
        source.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error(ErrorKind::kInternal, "bad index option: " + item);
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      return s;
    };
    std::string value = item.substr(eq + 1);
    if (value.find("$$") == std::string::npos)
      value = trim(value);
    else
      value = value.substr(value.find("$$"), value.rfind("$$") + 2 - value.find("$$"));
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    } else if (value.size() >= 4 && value.starts_with("$$") && value.ends_with("$$")) {
      value = value.substr(2, value.size() - 4);
    }
    parts.push_back(trim(item.substr(0, eq)) + "=" + pg_literal(value));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return join(parts, ", ");
}

const char* volatility_text(Volatility v) {
  switch (v) {
    case Volatility::kVolatile:
      return "VOLATILE";
    case Volatility::kStable:
      return "STABLE";
    case Volatility::kImmutable:
      return "IMMUTABLE";
    case Volatility::kUnspecified:
      return "";
  }
  return "";
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// ---- columns ----

ColumnDecl& ColumnDecl::not_null() {
  column_.not_null = true;
  return *this;
}
ColumnDecl& ColumnDecl::default_to(std::string expression) {
  column_.default_expr = std::move(expression);
  return *this;
}
ColumnDecl& ColumnDecl::default_string(const std::string& value) {
  column_.default_expr = pg_literal(value) + "::" + column_.type;
  return *this;
}
ColumnDecl& ColumnDecl::identity_always() {
  column_.identity = "ALWAYS";
  column_.not_null = true;
  return *this;
}
ColumnDecl& ColumnDecl::comment(std::string text) {
  column_.comment = std::move(text);
  return *this;
}

// ---- foreign keys ----

ForeignKeyDecl::ForeignKeyDecl(std::string table, std::vector<std::string> columns,
                               std::string ref_table, std::vector<std::string> ref_columns)
    : name_(name_from(table, columns, "fkey")),
      columns_(std::move(columns)),
      ref_table_(std::move(ref_table)),
      ref_columns_(std::move(ref_columns)) {}

ForeignKeyDecl& ForeignKeyDecl::on_update(FkAction action) {
  on_update_ = action;
  return *this;
}
ForeignKeyDecl& ForeignKeyDecl::on_delete(FkAction action) {
  on_delete_ = action;
  return *this;
}
ForeignKeyDecl& ForeignKeyDecl::named(std::string name) {
  name_ = std::move(name);
  return *this;
}

Constraint ForeignKeyDecl::constraint() const {
  std::string def = "FOREIGN KEY (" + join_idents(columns_) + ") REFERENCES " +
                    pg_quote_ident(ref_table_) + "(" + join_idents(ref_columns_) + ")";
  if (on_update_ != FkAction::kNoAction)
    def += std::string(" ON UPDATE ") + action_text(on_update_);
  if (on_delete_ != FkAction::kNoAction)
    def += std::string(" ON DELETE ") + action_text(on_delete_);
  return {name_, ConstraintType::kForeignKey, def};
}

// ---- indexes ----

IndexDecl::IndexDecl(std::string table, std::vector<std::string> columns)
    : table_(std::move(table)), columns_(std::move(columns)) {
  name_ = name_from(table_, columns_, "idx");
}

IndexDecl& IndexDecl::named(std::string name) {
  name_ = std::move(name);
  return *this;
}
IndexDecl& IndexDecl::unique() {
  unique_ = true;
  return *this;
}
IndexDecl& IndexDecl::using_method(std::string method) {
  method_ = std::move(method);
  return *this;
}
IndexDecl& IndexDecl::expression(std::string source, std::string catalog) {
  expression_catalog_ = catalog.empty() ? source : std::move(catalog);
  expression_ = std::move(source);
  return *this;
}
IndexDecl& IndexDecl::where(std::string source, std::string catalog) {
  where_catalog_ = catalog.empty() ? source : std::move(catalog);
  where_ = std::move(source);
  return *this;
}
IndexDecl& IndexDecl::with(std::string storage_parameters) {
  with_ = std::move(storage_parameters);
  return *this;
}
IndexDecl& IndexDecl::override_row() {
  override_ = true;
  return *this;
}

Index IndexDecl::index() const {
  std::string def = std::string(unique_ ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") +
                    pg_quote_ident(name_) + " ON public." + pg_quote_ident(table_) + " USING " +
                    (method_.empty() ? "btree" : method_) + " (" +
                    (expression_catalog_ ? *expression_catalog_ : join_idents(columns_)) + ")";
  if (with_) def += " WITH (" + catalog_storage_parameters(*with_) + ")";
  if (where_catalog_) def += " WHERE " + *where_catalog_;
  Index index;
  index.name = name_;
  index.table = table_;
  index.unique = unique_;
  index.definition = def;
  return index;
}

// sql-tools 0.3.2's rendering (USING lands after a column list, as Immich stores it).
OverrideRow IndexDecl::override_sql() const {
  std::string sql = std::string(unique_ ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") +
                    always_quote(name_) + " ON " + always_quote(table_);
  if (expression_) {
    if (!method_.empty()) sql += " USING " + method_;
    sql += " (" + *expression_ + ")";
  } else {
    sql += " (" + join_quoted(columns_) + ")";
    if (!method_.empty()) sql += " USING " + method_;
  }
  if (with_) sql += " WITH (" + *with_ + ")";
  if (where_) sql += " WHERE " + *where_;
  return {"index_" + name_, "index", name_, sql + ";"};
}

// ---- triggers ----

Trigger TriggerDecl::trigger() const {
  static const char* kEvents[] = {"INSERT", "UPDATE", "DELETE"};
  std::string def = "CREATE TRIGGER " + pg_quote_ident(name) +
                    (timing == TriggerTiming::kBefore ? " BEFORE " : " AFTER ") +
                    kEvents[static_cast<int>(event)] + " ON public." + pg_quote_ident(table);
  if (transition_table) {
    def += std::string(" REFERENCING ") + (event == TriggerEvent::kInsert ? "NEW" : "OLD") +
           " TABLE AS " + pg_quote_ident(*transition_table);
  }
  def += for_each_row ? " FOR EACH ROW" : " FOR EACH STATEMENT";
  if (when) def += " WHEN ((" + *when + "))";
  def += " EXECUTE FUNCTION " + pg_quote_ident(function) + "()";
  return {name, table, def};
}

OverrideRow TriggerDecl::override_sql() const {
  static const char* kEvents[] = {"INSERT", "UPDATE", "DELETE"};
  std::string sql = "CREATE OR REPLACE TRIGGER " + always_quote(name) + "\n  " +
                    (timing == TriggerTiming::kBefore ? "BEFORE " : "AFTER ") +
                    kEvents[static_cast<int>(event)] + " ON " + always_quote(table) + "\n";
  if (transition_table) {
    sql += std::string("  REFERENCING ") + (event == TriggerEvent::kInsert ? "NEW" : "OLD") +
           " TABLE AS " + always_quote(*transition_table) + "\n";
  }
  sql += for_each_row ? "  FOR EACH ROW\n" : "  FOR EACH STATEMENT\n";
  if (when) sql += "  WHEN (" + *when + ")\n";
  sql += "  EXECUTE FUNCTION " + function + "();";
  return {"trigger_" + name, "trigger", name, sql};
}

// ---- tables ----

ColumnDecl& TableDecl::column(std::string name, std::string type) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  return columns_.emplace_back(std::move(c));
}
ColumnDecl& TableDecl::generated_uuid(std::string name) {
  return column(std::move(name), kUuid).not_null().default_to("uuid_generate_v4()");
}
ColumnDecl& TableDecl::uuid_v7(std::string name) {
  return column(std::move(name), kUuid).not_null().default_to("immich_uuid_v7()");
}
ColumnDecl& TableDecl::create_date(std::string name) {
  return column(std::move(name), kTimestamptz).not_null().default_to("now()");
}
ColumnDecl& TableDecl::update_date(std::string name) { return create_date(std::move(name)); }
ColumnDecl& TableDecl::delete_date(std::string name) {
  return column(std::move(name), kTimestamptz);
}

void TableDecl::primary_key(std::vector<std::string> columns, std::string index_with) {
  constraints_.push_back(
      {name_ + "_pkey", ConstraintType::kPrimaryKey, "PRIMARY KEY (" + join_idents(columns) + ")"});
  constraint_index_with_.push_back(std::move(index_with));
}

void TableDecl::unique(std::vector<std::string> columns, std::string name) {
  if (name.empty()) name = name_from(name_, columns, "uq");
  constraints_.push_back(
      {std::move(name), ConstraintType::kUnique, "UNIQUE (" + join_idents(columns) + ")"});
  constraint_index_with_.emplace_back();
}

ForeignKeyDecl& TableDecl::foreign_key(std::vector<std::string> columns, std::string ref_table,
                                       std::vector<std::string> ref_columns) {
  return foreign_keys_.emplace_back(name_, std::move(columns), std::move(ref_table),
                                    std::move(ref_columns));
}

void TableDecl::check(std::string name, std::string catalog_expression) {
  constraints_.push_back(
      {std::move(name), ConstraintType::kCheck, "CHECK (" + catalog_expression + ")"});
  constraint_index_with_.emplace_back();
}

IndexDecl& TableDecl::index(std::vector<std::string> columns) {
  return indexes_.emplace_back(name_, std::move(columns));
}

IndexDecl& TableDecl::expression_index(std::string name) {
  return indexes_.emplace_back(name_, std::vector<std::string>{}).named(std::move(name));
}

void TableDecl::add_constraint(Constraint constraint) {
  constraints_.push_back(std::move(constraint));
  constraint_index_with_.emplace_back();
}

void TableDecl::add_trigger(TriggerDecl trigger) { triggers_.push_back(std::move(trigger)); }

void TableDecl::updated_at_trigger(std::string name) {
  TriggerDecl t;
  t.name = name.empty() ? name_ + "_updatedAt" : std::move(name);
  t.table = name_;
  t.function = "updated_at";
  triggers_.push_back(std::move(t));
}

void TableDecl::after_delete_trigger(std::string name, std::string when,
                                     std::string transition_table) {
  TriggerDecl t;
  t.function = name;
  t.name = std::move(name);
  t.table = name_;
  t.timing = TriggerTiming::kAfter;
  t.event = TriggerEvent::kDelete;
  t.for_each_row = false;
  t.transition_table = std::move(transition_table);
  t.when = std::move(when);
  triggers_.push_back(std::move(t));
}

void TableDecl::after_insert_trigger(std::string name, std::string transition_table) {
  TriggerDecl t;
  t.function = name;
  t.name = std::move(name);
  t.table = name_;
  t.timing = TriggerTiming::kAfter;
  t.event = TriggerEvent::kInsert;
  t.for_each_row = false;
  t.transition_table = std::move(transition_table);
  triggers_.push_back(std::move(t));
}

Table TableDecl::table() const {
  Table t;
  t.name = name_;
  for (const auto& c : columns_) t.columns.push_back(c.column());
  for (size_t i = 0; i < constraints_.size(); ++i) {
    const auto& c = constraints_[i];
    t.constraints.push_back(c);
    if (c.type != ConstraintType::kPrimaryKey && c.type != ConstraintType::kUnique) continue;
    Index backing;
    backing.name = c.name;
    backing.table = name_;
    backing.unique = true;
    backing.primary = c.type == ConstraintType::kPrimaryKey;
    backing.constraint = c.name;
    std::string cols = c.definition.substr(c.definition.find('('));
    backing.definition = "CREATE UNIQUE INDEX " + pg_quote_ident(c.name) + " ON public." +
                         pg_quote_ident(name_) + " USING btree " + cols;
    if (!constraint_index_with_[i].empty()) {
      backing.definition += " WITH (" + catalog_storage_parameters(constraint_index_with_[i]) + ")";
    }
    t.indexes.push_back(std::move(backing));
  }
  for (const auto& fk : foreign_keys_) t.constraints.push_back(fk.constraint());
  for (const auto& i : indexes_) t.indexes.push_back(i.index());
  for (const auto& tr : triggers_) t.triggers.push_back(tr.trigger());
  return t;
}

void TableDecl::add_override(OverrideRow row) { extra_overrides_.push_back(std::move(row)); }

std::vector<OverrideRow> TableDecl::overrides() const {
  std::vector<OverrideRow> rows = extra_overrides_;
  for (const auto& tr : triggers_) rows.push_back(tr.override_sql());
  for (const auto& i : indexes_) {
    if (i.has_override()) rows.push_back(i.override_sql());
  }
  return rows;
}

// ---- functions ----

std::string identity_arguments(const std::string& arguments) {
  std::string out;
  size_t start = 0;
  while (start < arguments.size()) {
    size_t comma = arguments.find(", ", start);
    std::string arg =
        arguments.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (size_t d = arg.find(" DEFAULT "); d != std::string::npos) arg.resize(d);
    if (!out.empty()) out += ", ";
    out += arg;
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  return out;
}

Function FunctionDecl::function() const {
  std::string def = "CREATE OR REPLACE FUNCTION public." + pg_quote_ident(name) + "(" + arguments +
                    ")\n RETURNS " + returns + "\n LANGUAGE " + language + "\n";
  std::string attributes;
  if (volatility == Volatility::kImmutable || volatility == Volatility::kStable) {
    attributes += std::string(" ") + volatility_text(volatility);
  }
  if (parallel_safe) attributes += " PARALLEL SAFE";
  if (strict) attributes += " STRICT";
  if (!attributes.empty()) def += attributes + "\n";
  if (return_expression) {
    def += "RETURN " + return_expression_catalog.value_or(*return_expression) + "\n";
  } else {
    def += "AS $function$" + stored_body.value_or(body) + "$function$\n";
  }
  return {name, identity_arguments(arguments), def};
}

// sql-tools 0.3.2's rendering, as stored in migration_overrides.
OverrideRow FunctionDecl::override_sql() const {
  std::string sql = "CREATE OR REPLACE FUNCTION " + name + "(" +
                    source_arguments.value_or(arguments) + ")\n  RETURNS " +
                    source_returns.value_or(returns) + "\n  ";
  if (parallel_safe) sql += "PARALLEL SAFE ";
  if (strict) sql += "STRICT ";
  if (volatility != Volatility::kUnspecified) sql += std::string(volatility_text(volatility)) + " ";
  sql += "LANGUAGE " + upper(language) + "\n";
  if (return_expression) {
    sql += "    RETURN " + *return_expression;
  } else {
    sql += "  AS $$" + body + "$$;";
  }
  return {"function_" + name, "function", name, sql};
}

}  // namespace keepsake::schema
