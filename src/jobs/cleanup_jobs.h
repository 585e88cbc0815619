// The cleanup and maintenance jobs of spec §7.3, each a function over one connection that returns
// what it removed or queued. Times are the database's now(). Where the spec records a flaw of
// Immich, these functions fix it (docs/JOBS.md lists each fix). Files are removed only through
// MediaFiles (never outside the media location), and only after their rows are gone.
#pragma once

#include <cstdint>
#include <string>

#include "db/connection.h"
#include "jobs/media_files.h"

namespace keepsake::jobs {

// DELETE FROM audit older than 100 days.
int64_t audit_log_cleanup(db::Connection& conn);
// The 14 *_audit tables: rows deleted more than 31 days ago.
int64_t audit_table_cleanup(db::Connection& conn);
// Sessions idle for 90 days or past expiresAt.
int64_t session_cleanup(db::Connection& conn);
// Tags with no asset on themselves or any descendant.
int64_t tag_cleanup(db::Connection& conn);
// People without a visible, non-deleted face (also those with no face at all); their
// thumbnails go too.
int64_t person_cleanup(db::Connection& conn, MediaFiles& files);
// memory_asset rows of assets off the timeline, then unsaved memories older than 30 days.
// Returns the memories deleted.
int64_t memory_cleanup(db::Connection& conn);
// Deleted (3 days), read (Immich's rule) and unread (30 days) notifications.
int64_t notifications_cleanup(db::Connection& conn);
// Recomputes user.quotaUsageInBytes from the owned, non-library assets' file sizes.
int64_t user_sync_usage(db::Connection& conn);

}  // namespace keepsake::jobs
