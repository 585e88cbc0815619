// Named restore points before risky operations: pg_create_restore_point, logged, journaled.
#include "common/error.h"
#include "common/log.h"
#include "pitr/archive.h"

namespace keepsake::pitr {

std::string restore_point_name(const std::string& operation, std::chrono::system_clock::time_point when) {
  return "keepsake-" + operation + "-" + stamp(when);
}

std::optional<RestorePoint> create_restore_point(db::Connection& conn, const std::string& archive_dir,
                                                 const std::string& operation) {
  if (!is_enabled(archive_dir)) {
    spdlog::debug("PITR is not enabled: no restore point before {}", operation);
    return std::nullopt;
  }
  Archive archive(archive_dir);
  std::string name = restore_point_name(operation, std::chrono::system_clock::now());
  auto known = archive.restore_points();
  auto taken = [&](const std::string& n) {
    return std::any_of(known.begin(), known.end(), [&](const RestorePoint& p) { return p.name == n; });
  };
  for (int i = 2; taken(name); ++i) name = restore_point_name(operation, std::chrono::system_clock::now()) + "-" + std::to_string(i);
  RestorePoint point{name, "", 0, operation};
  try {
    auto r = conn.exec(
        "SELECT pg_create_restore_point($1)::text, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
        {name}, "create restore point");
    point.lsn = r.text(0, 0);
    point.time_us = r.int64(0, 1);
    archive.add_restore_point(point);
  } catch (const std::exception& e) {
    spdlog::warn("PITR: no restore point before {}: {}", operation, e.what());
    return std::nullopt;
  }
  spdlog::info("PITR: restore point {} at {}", point.name, point.lsn);
  return point;
}

std::optional<RestorePoint> create_restore_point(db::Connection& conn, const Config& config,
                                                 const std::string& operation) {
  return create_restore_point(conn, archive_dir_for(config), operation);
}

}  // namespace keepsake::pitr
