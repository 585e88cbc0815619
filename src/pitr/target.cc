// Recovery targets: their names, their JSON form (the maintenance API's Keepsake extension) and
// whether the archive's recoverable window reaches them.
#include "common/error.h"
#include "pitr/pitr.h"

namespace keepsake::pitr {

std::string describe(const RecoveryTarget& t) {
  switch (t.kind) {
    case RecoveryTarget::Kind::kTime: return "PITR to " + format_iso8601(t.time_us);
    case RecoveryTarget::Kind::kRestorePoint: return "PITR to restore point " + t.name;
    case RecoveryTarget::Kind::kLatest: break;
  }
  return "PITR to the latest archived state";
}

nlohmann::json target_json(const RecoveryTarget& t) {
  switch (t.kind) {
    case RecoveryTarget::Kind::kTime: return {{"restoreToTime", format_iso8601(t.time_us)}};
    case RecoveryTarget::Kind::kRestorePoint: return {{"restoreToRestorePoint", t.name}};
    case RecoveryTarget::Kind::kLatest: break;
  }
  return {{"restoreToLatest", true}};
}

std::optional<RecoveryTarget> target_from_json(const nlohmann::json& o) {
  if (!o.is_object()) return std::nullopt;
  int given = int(o.contains("restoreToTime")) + int(o.contains("restoreToRestorePoint")) + int(o.contains("restoreToLatest"));
  if (given == 0) return std::nullopt;
  if (given > 1) {
    throw Error(ErrorKind::kInvalidArgument, "give exactly one of restoreToTime, restoreToRestorePoint, restoreToLatest");
  }
  if (o.contains("restoreToTime")) {
    constexpr const char* kNotATime = "restoreToTime must be a valid ISO 8601 date string with a time zone";
    if (!o["restoreToTime"].is_string()) throw Error(ErrorKind::kInvalidArgument, kNotATime);
    try {
      return RecoveryTarget{RecoveryTarget::Kind::kTime, parse_iso8601(o["restoreToTime"].get<std::string>()), ""};
    } catch (const Error&) {
      throw Error(ErrorKind::kInvalidArgument, kNotATime);
    }
  }
  if (o.contains("restoreToRestorePoint")) {
    auto& v = o["restoreToRestorePoint"];
    if (!v.is_string() || v.get<std::string>().empty()) {
      throw Error(ErrorKind::kInvalidArgument, "restoreToRestorePoint must be a non-empty string");
    }
    return RecoveryTarget{RecoveryTarget::Kind::kRestorePoint, 0, v.get<std::string>()};
  }
  if (o["restoreToLatest"] != true) throw Error(ErrorKind::kInvalidArgument, "restoreToLatest must be true");
  return RecoveryTarget{};
}

void check_reachable(const Status& s, const RecoveryTarget& t) {
  if (!s.enabled) throw Error(ErrorKind::kConflict, "Point-in-time recovery is not enabled", "keepsake pitr enable");
  if (!s.earliest_us || !s.latest_us) {
    throw Error(ErrorKind::kConflict, "The archive has no recoverable window yet (no verified base backup with its WAL)",
                "keepsake pitr status");
  }
  std::string window = format_iso8601(*s.earliest_us) + " to " + format_iso8601(*s.latest_us);
  if (t.kind == RecoveryTarget::Kind::kTime && (t.time_us < *s.earliest_us || t.time_us > *s.latest_us)) {
    throw Error(ErrorKind::kConflict,
                format_iso8601(t.time_us) + " is outside the recoverable window, " + window + " (UTC)");
  }
  if (t.kind == RecoveryTarget::Kind::kRestorePoint) {
    for (auto& p : s.restore_points) {
      if (p.name == t.name) return;
    }
    throw Error(ErrorKind::kConflict, "No restore point named " + t.name + " in the archive (recoverable window " +
                                          window + ")", "keepsake pitr status lists them");
  }
}

}  // namespace keepsake::pitr
