#include "storage/disk_space.h"

#include <filesystem>

#include "backup/backup_files.h"

namespace keepsake::storage {

DiskSpace measure_disk(std::string label, const std::string& path) {
  DiskSpace d{std::move(label), path, false, {}, 0, 0};
  std::error_code ec;
  auto s = std::filesystem::space(path, ec);
  if (ec) {
    d.reason = ec.message();
    return d;
  }
  d.available = true;
  d.total = s.capacity;
  d.free = s.available;
  return d;
}

std::vector<DiskSpace> disk_space(const Config& config) {
  std::vector<DiskSpace> out;
  out.push_back(measure_disk("Media", config.media_location));
  out.push_back(measure_disk("Database backups", backup::backups_folder(config.media_location)));
  if (config.db.embedded) {
    out.push_back(measure_disk("Database (embedded) and Keepsake data", config.data_dir));
  } else {
    out.push_back(measure_disk("Keepsake data (PITR archive, settings)", config.data_dir));
    out.push_back({"Database", "", false, "it runs on its own server (" + config.db.host + ")", 0, 0});
  }
  return out;
}

}  // namespace keepsake::storage
