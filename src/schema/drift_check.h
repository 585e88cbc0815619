// Schema drift detection: reads the live catalog of `public`, diffs it against the declared model
// of the running flavour, and (at boot) reports the result in Immich's words. Drift never blocks
// boot: check_drift_at_boot logs and returns, even when the check itself fails.
// Must never change the database.
#pragma once

#include <string>
#include <vector>

#include "db/connection.h"
#include "schema/diff.h"
#include "schema/model.h"
#include "schema/options.h"

namespace keepsake::schema {

inline constexpr const char* kSchemaDriftMessage =
    "Detected schema drift. For more information, see "
    "https://docs.immich.app/errors#schema-drift or run `keepsake schema check`";

// The flavour the database runs, from its installed extensions (vchord, then vectors, then
// vector, as Immich prefers them; builtin when none is installed).
VectorFlavour installed_vector_flavour(db::Connection& conn);

// The drift of the live database relative to `declared` (reads the catalog; changes nothing).
std::vector<DriftItem> detect_drift(db::Connection& conn, const Schema& declared);

// The log lines of a drift report: "No schema drift detected", or the drift message followed by
// one "  - <item>" line per item.
std::vector<std::string> drift_report_lines(const std::vector<DriftItem>& items);

// Logs "Checking for schema drift", then the report (INFO when clean, WARN per line otherwise).
// Returns the items; a failure to check is logged as a WARN and yields no items.
std::vector<DriftItem> check_drift_at_boot(db::Connection& conn, const Schema& declared);

}  // namespace keepsake::schema
