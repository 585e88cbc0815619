// How PostgreSQL prints identifiers and literals in its catalog functions (pg_get_indexdef,
// pg_get_constraintdef, format_type, ...), so the declared schema can compute the exact catalog
// text of every object. Pure string functions; no I/O, never used to build SQL from user input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace keepsake::schema {

// PostgreSQL's quote_identifier(): quotes only when needed (upper case, odd characters, or a
// keyword that is not unreserved), e.g. albumId -> "albumId", user -> "user", key -> key.
std::string pg_quote_ident(std::string_view name);

// Always double-quotes (sql-tools' style in migration_overrides: "activity").
std::string always_quote(std::string_view name);

// 'text' with inner quotes doubled.
std::string pg_literal(std::string_view value);

// Joins with a separator, each item transformed by quote (pg_quote_ident by default).
std::string join_idents(const std::vector<std::string>& names, std::string_view separator = ", ");
std::string join_quoted(const std::vector<std::string>& names, std::string_view separator = ", ");
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace keepsake::schema
