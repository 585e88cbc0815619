#include "schema/ddl.h"

#include <algorithm>

#include "schema/pg_text.h"

namespace keepsake::schema {
namespace {

std::string qualified(const Table& table) {
  return pg_quote_ident(table.schema) + "." + pg_quote_ident(table.name);
}

std::string column_sql(const Column& c) {
  std::string sql = "  " + pg_quote_ident(c.name) + " " + c.type;
  if (c.identity) sql += " GENERATED " + *c.identity + " AS IDENTITY";
  if (c.generated) sql += " GENERATED ALWAYS AS (" + *c.generated + ") STORED";
  if (c.not_null) sql += " NOT NULL";
  if (c.default_expr) sql += " DEFAULT " + *c.default_expr;
  return sql;
}

std::string create_table(const Table& table) {
  std::vector<std::string> columns;
  for (const auto& c : table.columns) columns.push_back(column_sql(c));
  return "CREATE TABLE " + qualified(table) + " (\n" + join(columns, ",\n") + "\n)";
}

// The WITH (...) of the index that backs a constraint (e.g. fillfactor of a primary key).
std::string backing_index_options(const Table& table, const Constraint& c) {
  const Index* index = table.find_index(c.name);
  if (!index) return {};
  size_t with = index->definition.rfind(" WITH (");
  if (with == std::string::npos || index->definition.find(" WHERE ", with) != std::string::npos) {
    return {};
  }
  return index->definition.substr(with);
}

std::string add_constraint(const Table& table, const Constraint& c) {
  return "ALTER TABLE " + qualified(table) + " ADD CONSTRAINT " + pg_quote_ident(c.name) + " " +
         c.definition + backing_index_options(table, c);
}

std::string create_sequence(const Sequence& s) {
  return "CREATE SEQUENCE public." + pg_quote_ident(s.name) + " AS " + s.data_type +
         " START WITH " + s.start + " INCREMENT BY " + s.increment + " MINVALUE " + s.min +
         " MAXVALUE " + s.max + " CACHE " + s.cache + (s.cycle ? " CYCLE" : " NO CYCLE");
}

std::string create_enum(const Enum& e) {
  std::vector<std::string> labels;
  for (const auto& l : e.labels) labels.push_back(pg_literal(l));
  return "CREATE TYPE public." + pg_quote_ident(e.name) + " AS ENUM (" + join(labels, ", ") + ")";
}

std::string create_extension(const Extension& e, bool cascade) {
  std::string sql = "CREATE EXTENSION IF NOT EXISTS " + pg_quote_ident(e.name);
  if (e.schema != "pg_catalog") sql += " SCHEMA " + pg_quote_ident(e.schema);
  if (!e.version.empty()) sql += " VERSION " + pg_literal(e.version);
  return cascade ? sql + " CASCADE" : sql;
}

bool is_vector_extension(const std::string& name) {
  return name == "vector" || name == "vchord" || name == "vectors";
}

}  // namespace

std::vector<std::string> create_statements(const Schema& schema, const DdlOptions& options) {
  std::vector<const Table*> tables;
  for (const auto& t : schema.tables) {
    if (std::find(options.skip_tables.begin(), options.skip_tables.end(), t.name) ==
        options.skip_tables.end()) {
      tables.push_back(&t);
    }
  }
  std::vector<std::string> out;
  for (const auto& e : schema.extensions) {
    if (e.name != "plpgsql") out.push_back(create_extension(e, is_vector_extension(e.name)));
  }
  for (const auto& e : schema.enums) out.push_back(create_enum(e));
  for (const auto& f : schema.functions) out.push_back(f.definition);
  for (const auto& s : schema.sequences) {
    if (!s.identity) out.push_back(create_sequence(s));
  }
  for (const Table* t : tables) out.push_back(create_table(*t));
  for (const Table* t : tables) {
    for (const auto& c : t->columns) {
      if (c.comment) {
        out.push_back("COMMENT ON COLUMN " + qualified(*t) + "." + pg_quote_ident(c.name) + " IS " +
                      pg_literal(*c.comment));
      }
    }
  }
  for (ConstraintType type : {ConstraintType::kPrimaryKey, ConstraintType::kUnique,
                              ConstraintType::kForeignKey, ConstraintType::kCheck}) {
    for (const Table* t : tables) {
      for (const auto& c : t->constraints) {
        if (c.type == type) out.push_back(add_constraint(*t, c));
      }
    }
  }
  for (const Table* t : tables) {
    for (const auto& i : t->indexes) {
      if (!i.constraint) out.push_back(i.definition);
    }
  }
  for (const Table* t : tables) {
    for (const auto& tr : t->triggers) out.push_back(tr.definition);
  }
  for (const auto& s : schema.sequences) {
    if (!s.identity && !s.owned_by.empty()) {
      out.push_back("ALTER SEQUENCE public." + pg_quote_ident(s.name) + " OWNED BY public." +
                    s.owned_by);
    }
  }
  return out;
}

std::vector<std::string> database_setting_statements(const Schema& schema,
                                                     const std::string& database) {
  std::vector<std::string> out;
  for (const auto& s : schema.database_settings) {
    out.push_back("ALTER DATABASE " + pg_quote_ident(database) + " SET " + s.name + " TO " +
                  s.value);
  }
  return out;
}

}  // namespace keepsake::schema
