// Free space on the disks that hold the library: the media folder, its backups folder, and
// Keepsake's data folder (the embedded database, the PITR archive, the restic password), and any
// other folder asked for (a backup repository). A
// database on its own server is reported as unavailable: its disk cannot be seen from here.
// Only reads (statvfs); never creates a folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace keepsake::storage {

struct DiskSpace {
  std::string label;  // what lives there
  std::string path;
  bool available = false;
  std::string reason;  // why not, when unavailable
  uint64_t total = 0, free = 0;
};

std::vector<DiskSpace> disk_space(const Config& config);

// The disk holding `path` (a backup repository, say); unavailable with the reason when it cannot
// be measured (no such folder).
DiskSpace measure_disk(std::string label, const std::string& path);

}  // namespace keepsake::storage
