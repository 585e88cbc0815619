// The maintenance_work_mem Keepsake gives its own index builds (a restore's loader, a vector
// reindex): PostgreSQL's default (64MB) makes an HNSW build of a large library spill to disk and
// take many times longer. Sized from this machine's memory; never raised above 2GB.
#pragma once

#include <cstdint>
#include <string>

#include "db/connection.h"

namespace keepsake::db {

// A quarter of the memory spread over the connections, between 64MB and 2GB ("512MB"). Pure.
std::string default_maintenance_work_mem(uint64_t physical_bytes, int connections);
// default_maintenance_work_mem for this machine's memory.
std::string machine_maintenance_work_mem(int connections);

// Sets the session's maintenance_work_mem for as long as it lives, then puts the previous back.
class SessionMaintenanceMemory {
 public:
  SessionMaintenanceMemory(Connection& conn, const std::string& value);
  ~SessionMaintenanceMemory();
  SessionMaintenanceMemory(const SessionMaintenanceMemory&) = delete;
  SessionMaintenanceMemory& operator=(const SessionMaintenanceMemory&) = delete;

 private:
  Connection& conn_;
  std::string previous_;
};

}  // namespace keepsake::db
