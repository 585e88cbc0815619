#include "restore/pitr_restore.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/fault_point.h"

namespace keepsake::restore {

RestoreResult restore_to_point_in_time(RestoreOptions o, const pitr::RecoveryTarget& target,
                                       const PitrRestoreOptions& options) {
  pitr::RecoverOptions r;
  r.archive_dir = pitr::archive_dir_for(o.config);
  r.target = target;
  r.database = o.config.db.dbname;
  r.user = o.config.db.user;
  r.timeout = options.timeout;
  r.keep = false;
  // What the server has written up to now, unless `serve` streams it already (the slot is busy)
  // or the server is gone: then the archive as it is.
  try {
    pitr::stream_until_current(o.config.db, r.archive_dir, std::chrono::seconds(60));
  } catch (const Error& e) {
    std::string note = std::string("recovering from the archive as it is (") + e.what() + ")";
    if (options.note) options.note(note);
    spdlog::info("{}: {}", pitr::describe(target), note);
  }
  fault::point("pitr-restore.caught-up");
  RestoreResult result;
  r.use = [&](const DatabaseConfig& recovered) {
    fault::point("pitr-restore.recovered");
    o.filename = pitr::describe(target);
    o.stream = pitr::dump_stream(recovered);
    result = restore_database(o);
    fault::point("pitr-restore.swapped");
  };
  auto recovered = pitr::recover(r);
  std::string done = "Recovered from base backup " + recovered.base_backup + ": " + recovered.recovered_to;
  spdlog::info("{}: {}", pitr::describe(target), done);
  if (options.note) options.note(done);
  return result;
}

}  // namespace keepsake::restore
