#include "schema/diff_sql.h"

#include "db/connection.h"

namespace keepsake::schema::sql {

using db::quote_ident;
using db::quote_literal;

SqlStep safe(std::string sql, int phase) { return {std::move(sql), Safety::kSafe, phase}; }
SqlStep destructive(std::string sql, int phase) {
  return {std::move(sql), Safety::kDestructive, phase};
}

std::string table_ref(const std::string& table) { return quote_ident(table); }

std::string column_definition(const Column& c) {
  std::string out = quote_ident(c.name) + " " + c.type;
  if (c.identity) out += " GENERATED " + *c.identity + " AS IDENTITY";
  if (c.generated) out += " GENERATED ALWAYS AS (" + *c.generated + ") STORED";
  if (c.not_null) out += " NOT NULL";
  if (c.default_expr) out += " DEFAULT " + *c.default_expr;
  return out;
}

std::string create_table(const Table& t) {
  std::string out = "CREATE TABLE " + table_ref(t.name) + " (";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    out += (i ? ", " : "") + column_definition(t.columns[i]);
  }
  return out + ");";
}

std::string comment_on_column(const std::string& table, const Column& c) {
  return "COMMENT ON COLUMN " + table_ref(table) + "." + quote_ident(c.name) + " IS " +
         (c.comment ? quote_literal(*c.comment) : "NULL") + ";";
}

namespace {

// " WITH (...)" of an index definition, or "".
std::string storage_parameters(const std::string& index_definition) {
  auto pos = index_definition.find(" WITH (");
  if (pos == std::string::npos) return {};
  auto end = index_definition.find(')', pos);
  if (end == std::string::npos) return {};
  return index_definition.substr(pos, end - pos + 1);
}

}  // namespace

std::string add_constraint(const Table& t, const Constraint& c) {
  std::string out = "ALTER TABLE " + table_ref(t.name) + " ADD CONSTRAINT " + quote_ident(c.name) +
                    " " + c.definition;
  if (c.type == ConstraintType::kPrimaryKey || c.type == ConstraintType::kUnique) {
    for (const auto& i : t.indexes) {
      if (i.constraint == c.name) out += storage_parameters(i.definition);
    }
  }
  return out + ";";
}

std::string drop_constraint(const std::string& table, const std::string& name) {
  return "ALTER TABLE " + table_ref(table) + " DROP CONSTRAINT " + quote_ident(name) + ";";
}

std::vector<SqlStep> table_objects(const Table& t) {
  std::vector<SqlStep> steps;
  for (const auto& c : t.constraints) {
    steps.push_back(safe(add_constraint(t, c),
                         c.type == ConstraintType::kForeignKey ? kForeignKey : kConstraint));
  }
  for (const auto& i : t.indexes) {
    if (!i.constraint) steps.push_back(safe(statement(i.definition), kIndex));
  }
  for (const auto& g : t.triggers) steps.push_back(safe(statement(g.definition), kTrigger));
  for (const auto& c : t.columns) {
    if (c.comment) steps.push_back(safe(comment_on_column(t.name, c), kComment));
  }
  return steps;
}

std::string statement(const std::string& definition) {
  auto end = definition.find_last_not_of(" \n\t");
  return (end == std::string::npos ? std::string() : definition.substr(0, end + 1)) + ";";
}

std::string replace_trigger(const Trigger& g) {
  static const std::string kPrefix = "CREATE TRIGGER ";
  if (g.definition.rfind(kPrefix, 0) != 0) return statement(g.definition);
  return statement("CREATE OR REPLACE TRIGGER " + g.definition.substr(kPrefix.size()));
}

std::string create_enum(const Enum& e) {
  std::string out = "CREATE TYPE " + quote_ident(e.name) + " AS ENUM (";
  for (size_t i = 0; i < e.labels.size(); ++i) out += (i ? ", " : "") + quote_literal(e.labels[i]);
  return out + ");";
}

namespace {

std::string sequence_options(const Sequence& s) {
  return " AS " + s.data_type + " INCREMENT BY " + s.increment + " MINVALUE " + s.min +
         " MAXVALUE " + s.max + " START WITH " + s.start + " CACHE " + s.cache +
         (s.cycle ? " CYCLE" : " NO CYCLE");
}

}  // namespace

std::string create_sequence(const Sequence& s) {
  return "CREATE SEQUENCE " + quote_ident(s.name) + sequence_options(s) + ";";
}

std::string alter_sequence(const Sequence& s) {
  return "ALTER SEQUENCE " + quote_ident(s.name) + sequence_options(s) + ";";
}

// owned_by is already in catalog form (regclass text + '.' + quote_ident(column)).
std::string sequence_owner(const Sequence& s) {
  return "ALTER SEQUENCE " + quote_ident(s.name) + " OWNED BY " +
         (s.owned_by.empty() ? "NONE" : s.owned_by) + ";";
}

std::string create_extension(const Extension& e) {
  return "CREATE EXTENSION IF NOT EXISTS " + quote_ident(e.name) + " WITH SCHEMA " +
         quote_ident(e.schema) + " CASCADE;";
}

namespace {

// Setting names are plain or dotted (vchordrq.probes); anything else is quoted.
std::string setting_name(const std::string& name) {
  bool plain = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") ==
                                    std::string::npos;
  return plain ? name : quote_ident(name);
}

}  // namespace

std::string set_database(const std::string& database, const DatabaseSetting& s) {
  // search_path is stored in its list form ("$user", public, vectors), valid as SET syntax.
  std::string value = s.name == "search_path" ? s.value : quote_literal(s.value);
  if (!database.empty()) {
    return "ALTER DATABASE " + quote_ident(database) + " SET " + setting_name(s.name) + " TO " +
           value + ";";
  }
  return "DO $keepsake$ BEGIN EXECUTE format('ALTER DATABASE %I SET %s TO %s', "
         "current_database(), " +
         quote_literal(setting_name(s.name)) + ", " + quote_literal(value) + "); END $keepsake$;";
}

std::string drop_function(const Function& f) {
  bool aggregate = f.definition.rfind("AGGREGATE ", 0) == 0;
  return std::string(aggregate ? "DROP AGGREGATE " : "DROP FUNCTION ") + quote_ident(f.name) +
         "(" + f.identity_arguments + ");";
}

std::string override_value(const OverrideRow& r) {
  return "jsonb_build_object('type', " + quote_literal(r.type) + ", 'name', " +
         quote_literal(r.object_name) + ", 'sql', " + quote_literal(r.sql) + ")";
}

}  // namespace keepsake::schema::sql
