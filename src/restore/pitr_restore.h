// A point-in-time restore into the live library (docs/PITR.md "Restore"): the archive is brought
// up to now, recovered into a private scratch cluster (pitr::recover) and checked. Then:
//   * an external database: while that cluster runs, its pg_dump is streamed into
//     restore_database's beside-then-swap loader, which checks the result again and swaps it in;
//   * the embedded cluster: the recovered database gets restore_database's migrations and checks
//     in the scratch cluster, whose data folder then replaces the embedded cluster's
//     (db::EmbeddedPostgres::replace_data; the old one is kept as data.before-pitr-<stamp>), and
//     the archive follows the new timeline (pitr::adopt_timeline). No dump, no load, no index
//     build: the restore takes the time of the recovery.
// Shared by `keepsake pitr restore` and the maintenance API's restore_database with
// restoreToTime / restoreToRestorePoint / restoreToLatest.
// Must never change the live database except through restore_database's swap or replace_data.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "db/embedded_postgres.h"
#include "pitr/pitr.h"
#include "restore/restore_service.h"

namespace keepsake::restore {

struct PitrRestoreOptions {
  std::chrono::seconds timeout{3600};  // recovery of the scratch cluster
  std::function<void(const std::string&)> note;  // what the user should read: the base backup used, where recovery stopped
};

// Runs inside maintenance mode (the caller's guard). `o` names the live database; its filename
// and stream are set here. Throws keepsake::Error; the live database is then unchanged.
RestoreResult restore_to_point_in_time(RestoreOptions o, const pitr::RecoveryTarget& target,
                                       const PitrRestoreOptions& options = {});

// The data folders that restores of the embedded cluster replaced (<cluster>/data.before-pitr-*)
// and that were set aside more than `older_than` ago (0: all) are removed; returns their paths.
// Nothing for a database that is not the Config's own embedded cluster.
std::vector<std::string> remove_replaced_data_folders(const Config& config, std::chrono::hours older_than);

// Its fault-injection phases (common/fault_point.h), in order. Between "pitr-restore.recovered"
// and "pitr-restore.swapped" run restore_database's own (kRestoreBesidePhases) for an external
// database, db::kEmbeddedSwapPhases for the embedded cluster.
inline constexpr std::string_view kPitrRestorePhases[] = {"pitr-restore.caught-up", "pitr-restore.recovered",
                                                          "pitr-restore.swapped"};
// All the phases of a restore of the embedded cluster, in order.
inline constexpr std::string_view kPitrRestoreEmbeddedPhases[] = {
    kPitrRestorePhases[0],      kPitrRestorePhases[1], db::kEmbeddedSwapPhases[0], db::kEmbeddedSwapPhases[1],
    db::kEmbeddedSwapPhases[2], kPitrRestorePhases[2]};

}  // namespace keepsake::restore
