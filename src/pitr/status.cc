// `pitr status`: the recovery window, the lag, the slot, the base backups and the space used.
#include <sys/statvfs.h>

#include "common/error.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace {

void read_server(const DatabaseConfig& db, const ArchiveState& state, Status& s) {
  const std::string& slot = state.slot;
  try {
    auto conn = db::Connection::open(db);
    auto r = conn->exec(
        "SELECT pg_current_wal_lsn()::text, s.slot_name IS NOT NULL, coalesce(s.active, false), "
        "s.restart_lsn::text, s.wal_status, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint "
        "FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1",
        {slot}, "read replication slot");
    s.current_lsn = r.text(0, 0);
    s.slot = {r.boolean(0, 1), r.boolean(0, 2), r.text(0, 3), r.text(0, 4)};
    if (!r.is_null(0, 5)) s.lag_bytes = std::max<int64_t>(0, r.int64(0, 5));
  } catch (const Error& e) {
    s.problems.push_back("the database cannot be reached: " + std::string(e.what()));
    return;
  }
  if (!s.slot.exists) {
    s.problems.push_back("the replication slot " + slot + " does not exist: WAL is not being kept for the archive; "
                         "run `keepsake pitr enable` again");
  } else if (s.slot.wal_status == "lost") {
    s.problems.push_back("the replication slot " + slot + " is lost: the server removed WAL the archive had not "
                         "received; the window ends at the last WAL received; run `keepsake pitr enable` again");
  } else if (!s.slot.active && s.lag_bytes && *s.lag_bytes >= static_cast<int64_t>(state.wal_segment_size)) {
    s.problems.push_back("no WAL stream is using the replication slot " + slot + ": the archive falls behind (" +
                         std::to_string(*s.lag_bytes) + " bytes); is `keepsake serve` running?");
  }
}

// pg_receivewal writes a whole segment at once: less free space than that stops it.
void check_free_space(const Archive& archive, const ArchiveState& state, Status& s) {
  struct statvfs fsinfo {};
  if (statvfs(archive.wal_dir().c_str(), &fsinfo) != 0) return;
  uint64_t free_bytes = static_cast<uint64_t>(fsinfo.f_bavail) * fsinfo.f_frsize;
  if (free_bytes >= state.wal_segment_size) return;
  s.problems.push_back("the archive's filesystem is full (" + std::to_string(free_bytes >> 10) + " KiB free, a WAL "
                       "segment needs " + std::to_string(state.wal_segment_size >> 20) + " MiB): WAL streaming stops; "
                       "free space in " + archive.dir() + " (the server keeps the WAL meanwhile, up to "
                       "max_slot_wal_keep_size)");
}

// The oldest verified base backup whose WAL chain reaches the newest segment without a gap.
void read_window(const Archive& archive, const ArchiveState& state, const std::vector<Segment>& segments, Status& s) {
  int64_t newest_us = 0;
  for (auto& seg : segments) newest_us = std::max(newest_us, seg.mtime_us);
  auto bases = archive.base_backups();
  for (auto& b : bases) {
    if (!b.verified) continue;
    auto end = parse_lsn(b.end_lsn);
    if (!end) continue;
    if (auto gap = first_gap(segments, *end / state.wal_segment_size)) {
      s.problems.push_back("WAL segment number " + std::to_string(*gap) + " is missing after base backup " + b.name +
                           ": it can be recovered only to before that segment");
      continue;
    }
    s.earliest_us = b.end_us;
    break;
  }
  if (!s.earliest_us) return;
  bool caught_up = s.lag_bytes && *s.lag_bytes == 0;
  s.latest_us = caught_up ? now_us() : std::max(newest_us, *s.earliest_us);
  if (s.lag_bytes) s.lag_seconds = caught_up ? 0.0 : std::max<double>(0, (now_us() - newest_us) / 1e6);
}

}  // namespace

Status read_status(const DatabaseConfig& db, const std::string& archive_dir) {
  Status s;
  s.archive_dir = archive_dir;
  Archive archive(archive_dir);
  auto state = archive.read_state();
  s.enabled = state.has_value();
  if (!state) return s;
  auto bases = archive.base_backups();
  s.base_backups = static_cast<int>(bases.size());
  if (!bases.empty()) s.last_base_backup = bases.back();
  auto segments = list_segments(archive.wal_dir(), state->wal_segment_size);
  s.wal_segments = static_cast<int>(segments.size());
  s.space_used = archive.space_used();
  s.restore_points = archive.restore_points();
  read_server(db, *state, s);
  check_free_space(archive, *state, s);
  read_window(archive, *state, segments, s);
  if (bases.empty()) s.problems.push_back("no base backup: nothing can be recovered yet");
  return s;
}

}  // namespace keepsake::pitr
