// Immich v2.7.5's 22 SQL functions as declarations (bodies, attributes, the override rows).
// Plain data; creating them is the bootstrap's job.
#pragma once

#include <vector>

#include "schema/declare.h"

namespace keepsake::schema {

// In creation order: immich_uuid_v7 first (column defaults and updated_at use it).
std::vector<FunctionDecl> immich_functions();

}  // namespace keepsake::schema
