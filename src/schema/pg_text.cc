#include "schema/pg_text.h"

#include <algorithm>
#include <array>

namespace keepsake::schema {
namespace {

// PostgreSQL 15's keywords that are not UNRESERVED_KEYWORD (parser/kwlist.h): these need quotes.
bool is_quoting_keyword(std::string_view word) {
  static constexpr std::array<std::string_view, 151> kKeywords = {
      "all",
      "analyse",
      "analyze",
      "and",
      "any",
      "array",
      "as",
      "asc",
      "asymmetric",
      "authorization",
      "between",
      "bigint",
      "binary",
      "bit",
      "boolean",
      "both",
      "case",
      "cast",
      "char",
      "character",
      "check",
      "coalesce",
      "collate",
      "collation",
      "column",
      "concurrently",
      "constraint",
      "create",
      "cross",
      "current_catalog",
      "current_date",
      "current_role",
      "current_schema",
      "current_time",
      "current_timestamp",
      "current_user",
      "dec",
      "decimal",
      "default",
      "deferrable",
      "desc",
      "distinct",
      "do",
      "else",
      "end",
      "except",
      "exists",
      "extract",
      "false",
      "fetch",
      "float",
      "for",
      "foreign",
      "freeze",
      "from",
      "full",
      "grant",
      "greatest",
      "group",
      "grouping",
      "having",
      "ilike",
      "in",
      "initially",
      "inner",
      "inout",
      "int",
      "integer",
      "intersect",
      "interval",
      "into",
      "is",
      "isnull",
      "join",
      "lateral",
      "leading",
      "least",
      "left",
      "like",
      "limit",
      "localtime",
      "localtimestamp",
      "national",
      "natural",
      "nchar",
      "none",
      "normalize",
      "not",
      "notnull",
      "null",
      "nullif",
      "numeric",
      "offset",
      "on",
      "only",
      "or",
      "order",
      "out",
      "outer",
      "overlaps",
      "overlay",
      "placing",
      "position",
      "precision",
      "primary",
      "real",
      "references",
      "returning",
      "right",
      "row",
      "select",
      "session_user",
      "setof",
      "similar",
      "smallint",
      "some",
      "substring",
      "symmetric",
      "table",
      "tablesample",
      "then",
      "time",
      "timestamp",
      "to",
      "trailing",
      "treat",
      "trim",
      "true",
      "union",
      "unique",
      "user",
      "using",
      "values",
      "varchar",
      "variadic",
      "verbose",
      "when",
      "where",
      "window",
      "with",
      "xmlattributes",
      "xmlconcat",
      "xmlelement",
      "xmlexists",
      "xmlforest",
      "xmlnamespaces",
      "xmlparse",
      "xmlpi",
      "xmlroot",
      "xmlserialize",
      "xmltable",
  };
  return std::binary_search(kKeywords.begin(), kKeywords.end(), word);
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string always_quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string pg_quote_ident(std::string_view name) {
  if (is_plain_identifier(name) && !is_quoting_keyword(name)) return std::string(name);
  return always_quote(name);
}

std::string pg_literal(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::string join_idents(const std::vector<std::string>& names, std::string_view separator) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(pg_quote_ident(n));
  return join(quoted, separator);
}

std::string join_quoted(const std::vector<std::string>& names, std::string_view separator) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(always_quote(n));
  return join(quoted, separator);
}

}  // namespace keepsake::schema
