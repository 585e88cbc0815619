// `pitr status`: the recovery window, the lag, the slot, the base backups and the space used.
#include <sys/statvfs.h>

#include <filesystem>

#include "common/error.h"
#include "config/keepsake_settings.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;
namespace {

void add_problem(Status& s, const char* kind, const std::string& message) {
  s.problem_kinds.push_back(kind);
  s.problems.push_back(message);
}

int configured_lag_alert(db::Connection& conn) {
  try {
    return config::pitr_settings(config::load_keepsake_settings(conn)).lag_alert_seconds;
  } catch (const std::exception&) {
    return config::PitrSettings{}.lag_alert_seconds;
  }
}

// How far the archive's WAL surely reaches: the end of its newest complete segment, or the start
// of a newer .partial one (how much of it is filled is not known here).
uint64_t archive_end(const std::vector<Segment>& segments, uint64_t segment_size) {
  uint64_t end = 0;
  for (const auto& seg : segments) end = std::max(end, (seg.number + (seg.partial ? 0 : 1)) * segment_size);
  return end;
}

// The slot and the lag; returns the lag alert threshold to use. The lag counts from what the
// archive holds when that is further than the slot's last acknowledged position: pg_receivewal
// ending (--endpos, or stopped) may write WAL whose acknowledgement never reaches the server.
int read_server(const DatabaseConfig& db, const ArchiveState& state, uint64_t archived_to, std::optional<int> lag_alert,
                Status& s) {
  const std::string& slot = state.slot;
  std::string keep_size;
  try {
    auto conn = db::Connection::open(db);
    auto r = conn->exec(
        "SELECT pg_current_wal_lsn()::text, s.slot_name IS NOT NULL, coalesce(s.active, false), "
        "s.restart_lsn::text, s.wal_status, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint, "
        "current_setting('max_slot_wal_keep_size') "
        "FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1",
        {slot}, "read replication slot");
    s.current_lsn = r.text(0, 0);
    s.slot = {r.boolean(0, 1), r.boolean(0, 2), r.text(0, 3), r.text(0, 4)};
    if (!r.is_null(0, 5)) {
      int64_t lag = r.int64(0, 5);
      if (auto current = parse_lsn(s.current_lsn)) {
        lag = std::min(lag, static_cast<int64_t>(*current) - static_cast<int64_t>(archived_to));
      }
      s.lag_bytes = std::max<int64_t>(0, lag);
    }
    keep_size = r.text(0, 6);
    if (!lag_alert) lag_alert = configured_lag_alert(*conn);
  } catch (const Error& e) {
    add_problem(s, "unreachable", "the database cannot be reached: " + std::string(e.what()));
    return 0;
  }
  if (!s.slot.exists) {
    add_problem(s, "slot-missing", "the replication slot " + slot + " does not exist: WAL is not being kept for the archive; "
                         "run `keepsake pitr enable` again");
  } else if (s.slot.wal_status == "lost") {
    add_problem(s, "slot-lost", "the replication slot " + slot + " is lost: the server removed WAL the archive had not " +
                                    "received (the archive fell more than max_slot_wal_keep_size = " + keep_size +
                                    " behind); recovery reaches only up to the last WAL received; run `keepsake pitr " +
                                    "enable` to replace the slot and take a new base backup");
  } else if (!s.slot.active && s.lag_bytes && *s.lag_bytes >= static_cast<int64_t>(state.wal_segment_size)) {
    add_problem(s, "slot-idle", "no WAL stream is using the replication slot " + slot + ": the archive falls behind (" +
                                    std::to_string(*s.lag_bytes) + " bytes); is `keepsake serve` running?");
  }
  return *lag_alert;
}

// pg_receivewal writes a whole segment at once: less free space than that stops it.
void check_free_space(const Archive& archive, const ArchiveState& state, Status& s) {
  struct statvfs fsinfo {};
  if (statvfs(archive.wal_dir().c_str(), &fsinfo) != 0) return;
  uint64_t free_bytes = static_cast<uint64_t>(fsinfo.f_bavail) * fsinfo.f_frsize;
  if (free_bytes >= state.wal_segment_size) return;
  add_problem(s, "archive-full", "the archive's filesystem is full (" + std::to_string(free_bytes >> 10) + " KiB free, a WAL "
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
      add_problem(s, "wal-gap", "WAL segment number " + std::to_string(*gap) + " is missing after base backup " + b.name +
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

void check_lag(int alert_seconds, Status& s) {
  if (alert_seconds <= 0 || !s.lag_seconds || *s.lag_seconds <= alert_seconds) return;
  add_problem(s, "lag", "the archive is " + std::to_string(static_cast<int64_t>(*s.lag_seconds)) + " s (" +
                              std::to_string(s.lag_bytes.value_or(0)) + " bytes) behind the database, more than " +
                              "pitr.lagAlertSeconds (" + std::to_string(alert_seconds) +
                              " s): is `keepsake serve` running and streaming?");
}

}  // namespace

Status read_status(const DatabaseConfig& db, const std::string& archive_dir, std::optional<int> lag_alert_seconds) {
  Status s;
  s.archive_dir = archive_dir;
  Archive archive(archive_dir);
  auto state = archive.read_state();
  s.enabled = state.has_value();
  if (!state) {
    s.disabled = fs::exists(archive.disabled_state_file());
    if (s.disabled) s.space_used = archive.space_used();
    if (auto failure = archive.enable_failure(); failure && !s.disabled) {
      add_problem(s, "enable-failed", "`keepsake serve` could not enable point-in-time recovery at " +
                                          format_iso8601(failure->first) + ": " + failure->second +
                                          "; fix that and restart `keepsake serve`, or run `keepsake pitr enable`");
    }
    return s;
  }
  auto bases = archive.base_backups();
  s.base_backups = static_cast<int>(bases.size());
  if (!bases.empty()) s.last_base_backup = bases.back();
  auto segments = list_segments(archive.wal_dir(), state->wal_segment_size);
  s.wal_segments = static_cast<int>(segments.size());
  s.space_used = archive.space_used();
  s.restore_points = archive.restore_points();
  int lag_alert = read_server(db, *state, archive_end(segments, state->wal_segment_size), lag_alert_seconds, s);
  check_free_space(archive, *state, s);
  read_window(archive, *state, segments, s);
  check_lag(lag_alert, s);
  if (bases.empty()) add_problem(s, "no-base-backup", "no base backup: nothing can be recovered yet");
  if (auto failure = archive.failure()) {
    add_problem(s, "base-backup-failed",
                "the last base backup failed at " + format_iso8601(failure->first) + ": " + failure->second);
  }
  return s;
}

}  // namespace keepsake::pitr
