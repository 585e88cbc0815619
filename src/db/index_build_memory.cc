#include "db/index_build_memory.h"

#include <unistd.h>

#include <algorithm>

#include "common/log.h"

namespace keepsake::db {

std::string default_maintenance_work_mem(uint64_t physical_bytes, int connections) {
  uint64_t mb = physical_bytes / 4 / static_cast<uint64_t>(std::max(1, connections)) >> 20;
  mb = std::clamp<uint64_t>(mb, 64, 2048);
  return std::to_string(mb) + "MB";
}

std::string machine_maintenance_work_mem(int connections) {
  return default_maintenance_work_mem(
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)), connections);
}

SessionMaintenanceMemory::SessionMaintenanceMemory(Connection& conn, const std::string& value) : conn_(conn) {
  previous_ = conn.exec("SELECT current_setting('maintenance_work_mem')").text(0, 0);
  conn.exec("SELECT set_config('maintenance_work_mem', $1, false)", {value}, "set maintenance_work_mem for an index build");
}

SessionMaintenanceMemory::~SessionMaintenanceMemory() {
  try {
    conn_.exec("SELECT set_config('maintenance_work_mem', $1, false)", {previous_});
  } catch (const std::exception& e) {
    spdlog::debug("maintenance_work_mem not put back (the connection is gone?): {}", e.what());
  }
}

}  // namespace keepsake::db
