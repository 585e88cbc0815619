// The spec's catalog query (tests/spec/immich-2.7.5-catalog.sql, vendored) run against a test
// database through libpq, and the spec's JSON, as nlohmann::json values; plus a readable diff.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "db/connection.h"

namespace keepsake::testing {

// The spec's catalog of an Immich v2.7.5 database (pgvector).
nlohmann::json spec_catalog_json();

// Runs immich-2.7.5-catalog.sql on `conn` and parses the JSON line it returns.
nlohmann::json run_spec_catalog_query(db::Connection& conn);

// Removes everything of schema `schema_name` (tables, functions, enums, sequences, the schema
// entry, other_objects naming it) and the counts, to compare the rest.
nlohmann::json without_schema(nlohmann::json catalog, const std::string& schema_name);

// One line per difference ("replace /tables/3/columns/2/type: "uuid" -> "text""); empty when equal.
std::string readable_diff(const nlohmann::json& expected, const nlohmann::json& actual);

}  // namespace keepsake::testing
