// The names of Immich v2.7.5's 68 schema migrations, as kysely records them in
// public.kysely_migrations (file name up to its last dot; note "...AddChecksumAlgorithm.ts").
// Keepsake never runs these migrations one by one: it creates their end state (bootstrap) and
// records all 68 names, exactly as an Immich v2.7.5 database has them.
#pragma once

#include <string>
#include <vector>

namespace keepsake::migrations {

inline constexpr const char* kImmichRelease = "v2.7.5";

// In kysely's order (plain byte order of the names).
const std::vector<std::string>& immich_migration_names();

}  // namespace keepsake::migrations
