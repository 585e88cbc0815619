// Recognisers for the statements pg_dump and pg_dumpall write, used to plan and filter a restore.
// Pure functions over one statement's text (as SqlSplitter delivers it); they never execute SQL.
// They only need to recognise pg_dump's own forms: anything else falls into the general case
// (run as it is, in dump order).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keepsake::restore {

// True when the statement's first word is `keyword` (case-insensitive).
bool starts_with_keyword(std::string_view statement, std::string_view keyword);

// The table of pg_dump's `COPY <table> [(<columns>)] FROM stdin;`, or nullopt for any other
// COPY form (options, files, programs, TO).
std::optional<std::string> pg_dump_copy_table(std::string_view statement);

// SET ... (not SET LOCAL / SET CONSTRAINTS / SET TRANSACTION) and SELECT pg_catalog.set_config(...).
bool is_session_setting(std::string_view statement);

// SET standard_conforming_strings = off (or to anything but on).
bool turns_off_standard_strings(std::string_view statement);

// Statements about databases, roles or tablespaces, which a restore never runs: CREATE / ALTER /
// DROP DATABASE | ROLE | USER | GROUP | TABLESPACE, COMMENT / GRANT / REVOKE / SECURITY LABEL ...
// ON DATABASE, GRANT <role> TO <role>.
bool is_database_level(std::string_view statement);

// The extension of CREATE EXTENSION [IF NOT EXISTS] <name> (unquoted).
std::optional<std::string> created_extension(std::string_view statement);
// The extension of DROP EXTENSION [IF EXISTS] <name> / COMMENT ON EXTENSION <name>.
std::optional<std::string> dropped_extension(std::string_view statement);
std::optional<std::string> commented_extension(std::string_view statement);

// The table of CREATE [UNIQUE] INDEX ... ON [ONLY] <table> (not CONCURRENTLY), or of
// ALTER TABLE [ONLY] <table> ADD CONSTRAINT <name> PRIMARY KEY | UNIQUE | EXCLUDE.
std::optional<std::string> index_like_table(std::string_view statement);

// The role of ALTER <object> ... OWNER TO <role>; (unquoted).
std::optional<std::string> owner_role(std::string_view statement);

// The database of a \connect line as pg_dumpall writes it: `immich`, `"my db"` or
// `-reuse-previous=on "dbname='my db'"`.
std::optional<std::string> connect_target(std::string_view args);

// True when the head of the SQL is pg_dumpall's ("-- PostgreSQL database cluster dump").
bool is_cluster_dump_header(std::string_view head);

// Unquotes one SQL identifier ("a""b" -> a"b; plain names are lower-cased as PostgreSQL does).
std::string unquote_identifier(std::string_view identifier);

}  // namespace keepsake::restore
