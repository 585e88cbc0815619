// The status as JSON, for `pitr status --json` and GET /api/admin/pitr.
#include "pitr/pitr.h"

namespace keepsake::pitr {
namespace {

nlohmann::json base_json(const BaseBackupInfo& b) {
  return {{"name", b.name},
          {"start", format_iso8601(b.start_us)},
          {"end", format_iso8601(b.end_us)},
          {"startLsn", b.start_lsn},
          {"endLsn", b.end_lsn},
          {"size", b.size},
          {"verified", b.verified},
          {"verifiedAt", b.verified ? nlohmann::json(format_iso8601(b.verified_us)) : nullptr}};
}

}  // namespace

nlohmann::json status_json(const Status& s) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json points = nlohmann::json::array();
  for (auto& p : s.restore_points) {
    points.push_back({{"name", p.name}, {"lsn", p.lsn}, {"time", format_iso8601(p.time_us)}, {"operation", p.operation}});
  }
  return {{"enabled", s.enabled},
          {"disabled", s.disabled},
          {"archive", s.archive_dir},
          {"earliestRecoverable", s.earliest_us ? nlohmann::json(format_iso8601(*s.earliest_us)) : nullptr},
          {"latestRecoverable", s.latest_us ? nlohmann::json(format_iso8601(*s.latest_us)) : nullptr},
          {"lagBytes", opt(s.lag_bytes)},
          {"lagSeconds", opt(s.lag_seconds)},
          {"currentLsn", s.current_lsn},
          {"slot", {{"name", kSlotName}, {"exists", s.slot.exists}, {"active", s.slot.active},
                    {"restartLsn", s.slot.restart_lsn}, {"walStatus", s.slot.wal_status}}},
          {"lastBaseBackup", s.last_base_backup ? base_json(*s.last_base_backup) : nlohmann::json(nullptr)},
          {"baseBackups", s.base_backups},
          {"walSegments", s.wal_segments},
          {"spaceUsed", s.space_used},
          {"restorePoints", points},
          {"problems", s.problems},
          {"problemKinds", s.problem_kinds}};
}

}  // namespace keepsake::pitr
