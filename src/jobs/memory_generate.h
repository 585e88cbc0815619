// MemoryGenerate (spec §7.3): "on this day" memories for the days start … start+6 (start = today
// UTC − 3 days) not yet done according to system_metadata['memories-state'], under lock
// MemoryCreation (777). Day matching compares month and day, so February 29 works in every year
// (Immich's make_date() fails there).
#pragma once

#include <cstdint>
#include <string>

#include "db/connection.h"

namespace keepsake::jobs {

// Returns the number of memories created.
int64_t memory_generate(db::Connection& conn);
// The same with "today" (UTC) given as YYYY-MM-DD instead of the server's clock (tests, e.g. of
// the days around February 29).
int64_t memory_generate_on(db::Connection& conn, const std::string& today_utc);

}  // namespace keepsake::jobs
