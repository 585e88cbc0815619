// Immich v2.7.5's schema as one value: the 61 table declarations (tables/), the 22 functions,
// 4 enums, extensions, the 2 sequences, the database-level settings and the 81
// migration_overrides rows, for a chosen vector flavour. Pure: builds values, runs no SQL.
#pragma once

#include "schema/model.h"
#include "schema/options.h"

namespace keepsake::schema {

Schema immich_schema(const SchemaOptions& options = {});

}  // namespace keepsake::schema
