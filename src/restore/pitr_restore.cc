#include "restore/pitr_restore.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/error.h"
#include "common/fault_point.h"
#include "common/utc_time.h"
#include "config/redis_config.h"
#include "db/embedded_postgres.h"
#include "db/write_fence.h"

namespace keepsake::restore {
namespace fs = std::filesystem;

namespace {

constexpr const char* kReplacedPrefix = "data.before-pitr-";

// What the server has written up to now, unless `serve` streams it already (the slot is busy)
// or the server is gone: then the archive as it is. Returns the positions the archive then holds
// for certain (RecoverOptions::reach_at_least).
std::vector<std::string> catch_up(const DatabaseConfig& db, const std::string& archive_dir,
                                  const pitr::RecoveryTarget& target, const PitrRestoreOptions& options) {
  std::vector<std::string> held;
  try {
    held.push_back(pitr::stream_until_current(db, archive_dir, std::chrono::seconds(60)));
  } catch (const Error& e) {
    std::string note = std::string("recovering from the archive as it is (") + e.what() + ")";
    if (options.note) options.note(note);
    spdlog::info("{}: {}", pitr::describe(target), note);
  }
  held.push_back(pitr::acknowledged_position(db, archive_dir));
  return held;
}

pitr::RecoverOptions recover_options(const RestoreOptions& o, const pitr::RecoveryTarget& target,
                                     const PitrRestoreOptions& options) {
  pitr::RecoverOptions r;
  r.archive_dir = pitr::archive_dir_for(o.config);
  r.target = target;
  r.database = o.config.db.dbname;
  r.user = o.config.db.user;
  r.timeout = options.timeout;
  return r;
}

void report_recovered(const pitr::RecoveryTarget& target, const pitr::RecoverResult& recovered,
                      const PitrRestoreOptions& options) {
  std::string done = "Recovered from base backup " + recovered.base_backup + ": " + recovered.recovered_to;
  spdlog::info("{}: {}", pitr::describe(target), done);
  if (options.note) options.note(done);
}

// An external database: the scratch cluster's pg_dump streamed into restore_database's
// beside-then-swap loader.
RestoreResult load_into_live_database(RestoreOptions o, const pitr::RecoveryTarget& target,
                                      const PitrRestoreOptions& options) {
  auto r = recover_options(o, target, options);
  r.keep = false;
  r.reach_at_least = catch_up(o.config.db, r.archive_dir, target, options);
  fault::point("pitr-restore.caught-up");
  RestoreResult result;
  r.use = [&](const DatabaseConfig& recovered) {
    fault::point("pitr-restore.recovered");
    o.filename = pitr::describe(target);
    o.stream = pitr::dump_stream(recovered);
    result = restore_database(o);
    fault::point("pitr-restore.swapped");
  };
  report_recovered(target, pitr::recover(r), options);
  return result;
}

// The recovered folder replaces the cluster's; the scratch folder around it is removed either way.
void swap_in(db::EmbeddedPostgres& pg, const std::string& recovered_data, const std::string& keep_as) {
  const std::string scratch_root = fs::path(recovered_data).parent_path().string();
  std::error_code ec;
  try {
    pg.replace_data(recovered_data, keep_as);
  } catch (...) {
    fs::remove_all(scratch_root, ec);
    throw;
  }
  fs::remove_all(scratch_root, ec);
}

// The embedded cluster: the recovered data folder, checked as restore_database checks a restored
// database, replaces the cluster's (db::EmbeddedPostgres::replace_data); the archive then follows
// the new timeline.
RestoreResult replace_embedded_data_folder(RestoreOptions o, const pitr::RecoveryTarget& target,
                                           const PitrRestoreOptions& options) {
  auto start = std::chrono::steady_clock::now();
  o.filename = pitr::describe(target);
  db::EmbeddedPostgres pg(db::embedded_options_for(o.config));
  auto r = recover_options(o, target, options);
  r.scratch_parent = pg.options().cluster_dir;
  r.slot = pitr::kSlotName;
  const std::string keep_as = kReplacedPrefix + compact_utc();
  RestoreResult result;
  result.strategy = RestoreStrategy::kDataFolder;
  result.previous_database = pg.options().cluster_dir + "/" + keep_as;

  auto report = [&](const char* task, double progress, const char* message) {
    if (o.progress) o.progress({task, progress, message});
  };
  // A restore killed after its swap left the archive on the old timeline.
  pitr::adopt_timeline(r.archive_dir, pg.data_dir());
  // Writes after the archive caught up would be lost: the fence stops them first.
  auto fence = db::fence_or_refuse(o.config.db, "restore of " + o.filename, restart_channel_configured(), o.force);
  pitr::create_restore_point(*db::Connection::open(o.config.db), o.config, "restore");
  report("restore", 0.02, "bringing the archive up to now");
  r.reach_at_least = catch_up(o.config.db, r.archive_dir, target, options);
  fault::point("pitr-restore.caught-up");
  report("restore", 0.05, "recovering the archive into a scratch cluster");
  r.use = [&](const DatabaseConfig& recovered) {
    fault::point("pitr-restore.recovered");
    report("migrations", 0.8, "running migrations and checks on the recovered database");
    ready_for_swap(o, recovered, result.previous_database);
  };
  auto recovered = pitr::recover(r);
  report_recovered(target, recovered, options);
  report("swap", 0.9, "putting the recovered data folder in place");
  auto swap_start = std::chrono::steady_clock::now();
  swap_in(pg, recovered.data_dir, keep_as);
  // The library is the restored one from here on: a failure of the last steps is said, and the
  // next start finishes them (recover_restores, lift_abandoned_fences, adopt_timeline).
  try {
    fault::point("pitr-restore.swapped");
    finish_swap(o.config.db);
    if (fence) fence->lift();
    pitr::adopt_timeline(r.archive_dir, pg.data_dir());
  } catch (const Error& e) {
    std::string note = "the restored library is live, but a last step failed (" + e.full_message() +
                       "); the next start of Keepsake finishes it";
    spdlog::warn("{}: {}", o.filename, note);
    result.notes.push_back(note);
  }
  catch_up(o.config.db, r.archive_dir, target, {});
  spdlog::info("PITR: the recovered data folder replaced the embedded cluster's, and the archive follows it, in "
               "{:.1f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - swap_start).count());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report("swap", 1.0, "done");
  spdlog::info("Database Restore Success: {} in {:.1f} s (the embedded cluster's data folder; the previous one is "
               "kept as {})",
               o.filename, result.seconds, result.previous_database);
  return result;
}

}  // namespace

std::vector<std::string> remove_replaced_data_folders(const Config& config, std::chrono::hours older_than) {
  std::vector<std::string> removed;
  if (!db::is_own_embedded_cluster(config)) return removed;
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - older_than;
  for (auto& entry : fs::directory_iterator(db::embedded_options_for(config).cluster_dir, ec)) {
    if (entry.path().filename().string().rfind(kReplacedPrefix, 0) != 0) continue;
    if (older_than.count() > 0 && fs::last_write_time(entry.path(), ec) > cutoff) continue;
    fs::remove_all(entry.path(), ec);
    if (ec) {
      spdlog::warn("Cannot remove {}: {}", entry.path().string(), ec.message());
      continue;
    }
    removed.push_back(entry.path().string());
  }
  return removed;
}

RestoreResult restore_to_point_in_time(RestoreOptions o, const pitr::RecoveryTarget& target,
                                       const PitrRestoreOptions& options) {
  if (db::is_own_embedded_cluster(o.config)) return replace_embedded_data_folder(std::move(o), target, options);
  return load_into_live_database(std::move(o), target, options);
}

}  // namespace keepsake::restore
