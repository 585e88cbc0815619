// Users and assets past their trash period (spec §7.3): the check jobs find them and queue one
// delete job each; the delete jobs remove the files (only inside the media location, via
// MediaFiles) and the rows. A delete job re-checks that its user or asset is still deleted, so
// one restored in between is kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "jobs/media_files.h"

namespace keepsake::jobs {

// Queues UserDelete {id} for each user deleted more than `delete_delay_days` ago. Returns the count.
int64_t user_delete_check(db::Connection& conn, int delete_delay_days);

// Deletes a user's folders and rows. Without `force`, skips (returns false) a user that is not
// deleted or not past the delay. Throws Error(kNotFound) for an unknown id.
bool user_delete(db::Connection& conn, MediaFiles& files, const std::string& user_id,
                 int delete_delay_days, bool force);

// Queues AssetDelete {id, deleteOnDisk: !isOffline} for each asset trashed at least `trash_days`
// ago (0 when the trash is disabled), in chunks of 1000. Returns the count.
int64_t asset_delete_check(db::Connection& conn, int trash_days);

// Deletes one asset's rows, then its generated files, plus its original and sidecar when
// `delete_on_disk`. The files' removal is queued as a FileDelete job in the rows' transaction
// and that job is withdrawn once the files are gone, so a crash in between never leaves files no
// row knows of. Without `force`, skips (returns false) an asset that is no longer in the trash;
// an asset that no longer exists (a run again after a crash) is skipped too. The motion part of a
// live photo, when no other asset uses it, is queued for deletion.
bool asset_delete(db::Connection& conn, MediaFiles& files, const std::string& asset_id,
                  bool delete_on_disk, bool force = false);
// Immich's FileDelete {files}: removes each file, only inside the media location; missing files
// are not an error.
void file_delete(MediaFiles& files, const std::vector<std::string>& paths);

// The fault-injection phases (common/fault_point.h) of a claimed AssetDelete job, in order.
inline constexpr std::string_view kAssetDeleteJobPhases[] = {"jobs.claim", "jobs.asset-delete.rows",
                                                             "jobs.asset-delete.files", "jobs.complete"};

}  // namespace keepsake::jobs
