// Catalog reader: turns a live database (one schema, `public` for Immich) into a schema::Schema,
// printing every definition the way immich-2.7.5-catalog.sql does (pg_get_*def, format_type,
// pg_get_expr with search_path, quoting and output settings pinned), so it compares byte for byte
// with the declared model. Also loads the spec's catalog JSON format into the same model.
// Must never write to the database: it reads inside a READ ONLY transaction (or a savepoint that
// is rolled back when the caller already has a transaction open), in a handful of queries.
#pragma once

#include <string>

#include "db/connection.h"
#include "schema/model.h"

namespace keepsake::schema {

// Reads extensions (all), the database-wide settings (role = all), and the enums, functions
// (extension members excluded), sequences, tables (columns in attnum order, constraints, indexes,
// non-internal triggers) and migration_overrides rows of `schema_name`.
Schema read_catalog(db::Connection& conn, const std::string& schema_name = "public");

// Parses a catalog in the JSON format of immich-2.7.5-catalog.json (only tables of `schema_name`
// are kept). Throws Error(kInvalidArgument) naming what is malformed.
Schema parse_catalog_json(const std::string& json_text, const std::string& schema_name = "public");

// Reads and parses a catalog JSON file. Throws Error(kIo) when the file cannot be read.
Schema load_catalog_json_file(const std::string& path, const std::string& schema_name = "public");

}  // namespace keepsake::schema
