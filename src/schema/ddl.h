// SQL generation from the schema model: the ordered CREATE statements that build a schema in an
// empty database (extensions, enums, functions, sequences, tables, comments, keys, indexes,
// triggers, sequence ownership, database settings). Works for any schema::Schema, declared or read
// from a catalog. Only yields text; callers run it (in one transaction).
#pragma once

#include <string>
#include <vector>

#include "schema/model.h"

namespace keepsake::schema {

struct DdlOptions {
  // Tables (and their keys, indexes, triggers) already present, e.g. kysely's own bookkeeping
  // tables created by an earlier, failed Immich start.
  std::vector<std::string> skip_tables;
};

// Statements for everything except database-level settings, in a working order.
std::vector<std::string> create_statements(const Schema& schema, const DdlOptions& options = {});

// ALTER DATABASE <database> SET <name> TO <value> for each database setting.
std::vector<std::string> database_setting_statements(const Schema& schema,
                                                     const std::string& database);

}  // namespace keepsake::schema
