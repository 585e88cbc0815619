// `pitr disable`: the archive marked disabled (so a running serve's stream stops), the slot's
// walsender ended and the slot dropped; the archive stays on disk for the admin to keep or remove.
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A running serve's pg_receivewal holds the slot: it is ended (its supervisor sees the archive
// disabled and does not start it again), then the slot dropped once it is free.
bool drop_slot_when_free(db::Connection& conn, const std::string& slot) {
  for (int attempt = 0;; ++attempt) {
    auto r = conn.exec("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", {slot}, "read slot");
    if (r.empty()) return false;
    if (r.is_null(0, 0)) {
      conn.exec("SELECT pg_drop_replication_slot($1)", {slot}, "drop replication slot");
      return true;
    }
    if (attempt == 50) {
      throw Error(ErrorKind::kConflict, "the replication slot " + slot + " stays in use by process " + r.text(0, 0),
                  "stop what streams from it, then run `keepsake pitr disable` again");
    }
    conn.exec("SELECT pg_terminate_backend($1::int)", {r.text(0, 0)}, "end the slot's walsender");
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace

DisableResult disable(const DatabaseConfig& db, const std::string& archive_dir) {
  Archive archive(archive_dir);
  auto state = archive.read_state();
  if (!state) {
    throw Error(ErrorKind::kNotFound, "PITR is not enabled for " + archive_dir, "`keepsake pitr status` says why");
  }
  auto conn = db::Connection::open(db);
  fs::rename(archive.state_file(), archive.disabled_state_file());
  DisableResult result;
  try {
    result.slot_dropped = drop_slot_when_free(*conn, state->slot);
  } catch (...) {
    fs::rename(archive.disabled_state_file(), archive.state_file());
    throw;
  }
  result.archive_dir = archive_dir;
  result.archive_size = archive.space_used();
  spdlog::info("PITR: disabled; slot {} {}; the archive {} ({} bytes) stays on disk", state->slot,
               result.slot_dropped ? "dropped" : "was already gone", archive_dir, result.archive_size);
  return result;
}

}  // namespace keepsake::pitr
