// Schema drift detection: reads the live catalog of `public`, diffs it against the declared model
// of the running flavour, and (at boot) reports the result in Immich's words. Drift never blocks
// boot: check_drift_at_boot logs and returns, even when the check itself fails.
// Database settings (the per-database search_path, VectorChord's vchordrq.probes) are never drift,
// as in Immich's own check, which ignores database parameters (spec §3.8 and the spec README):
// pg_dump without --create (Immich's backups) does not carry them, so every database restored the
// documented way, and every CREATE DATABASE ... TEMPLATE copy, lacks them. They are notes, with
// the ALTER DATABASE that would set them; no check, boot or restore fails because of them.
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

struct DriftReport {
  std::vector<DriftItem> drift;  // what makes a check fail
  std::vector<DriftItem> notes;  // database settings: reported, never a failure
};

// Moves the database-setting items into notes. Pure.
DriftReport split_notes(std::vector<DriftItem> items);

// The drift and the notes of the live database relative to `declared` (reads the catalog).
DriftReport check_drift(db::Connection& conn, const Schema& declared);

// The drift alone (check_drift(...).drift).
std::vector<DriftItem> detect_drift(db::Connection& conn, const Schema& declared);

// The log lines of a drift report: "No schema drift detected", or the drift message followed by
// one "  - <item>" line per item.
std::vector<std::string> drift_report_lines(const std::vector<DriftItem>& items);

// `database setting "search_path" is missing (not schema drift: Immich ignores database
// settings); to set it: ALTER DATABASE "immich" SET search_path TO ...;`
std::string note_text(const DriftItem& note);
// One "Note: <note_text>" line per note.
std::vector<std::string> note_lines(const std::vector<DriftItem>& notes);

// Logs "Checking for schema drift", then the report (INFO when clean, WARN per line otherwise)
// and the notes (INFO). Returns the drift items; a failure to check is logged as a WARN and
// yields no items.
std::vector<DriftItem> check_drift_at_boot(db::Connection& conn, const Schema& declared);

}  // namespace keepsake::schema
