// Retention by recovery window (docs/PITR.md): base backups and WAL pruned together, from the
// oldest end, never past the newest verified base backup that ended before the window began.
#include <filesystem>

#include "common/log.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

uint64_t remove_counted(const fs::path& path) {
  uint64_t bytes = 0;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec)) bytes += it->file_size(ec);
    }
  } else {
    bytes = fs::file_size(path, ec);
  }
  fs::remove_all(path);
  return bytes;
}

// The newest verified base backup that ended before `cutoff_us`, with a readable start.
std::optional<BaseBackupInfo> oldest_to_keep(const std::vector<BaseBackupInfo>& bases, int64_t cutoff_us) {
  std::optional<BaseBackupInfo> keep;
  for (auto& b : bases) {
    if (b.verified && b.end_us < cutoff_us && parse_lsn(b.start_lsn)) keep = b;
  }
  return keep;
}

// The history that restores of the embedded cluster set aside (abandoned/<stamp>-timeline-N),
// when that happened before the window began.
std::vector<std::string> prune_abandoned(const Archive& archive, int64_t cutoff_us, uint64_t& bytes) {
  std::vector<std::string> removed;
  const std::string cutoff = stamp(std::chrono::system_clock::time_point(std::chrono::microseconds(cutoff_us)));
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(archive.abandoned_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.substr(0, cutoff.size()) >= cutoff) continue;
    bytes += remove_counted(entry.path());
    removed.push_back(name);
  }
  return removed;
}

}  // namespace

PruneResult prune(const std::string& archive_dir, int window_days, int64_t now_us) {
  Archive archive(archive_dir);
  PruneResult result;
  auto state = archive.read_state();
  if (!state) return result;
  const int64_t cutoff_us = now_us - window_days * kMicrosPerDay;
  result.abandoned = prune_abandoned(archive, cutoff_us, result.bytes);
  auto bases = archive.base_backups();
  auto keep = oldest_to_keep(bases, cutoff_us);
  if (!keep) return result;
  result.kept_from = keep->name;
  for (auto& b : bases) {
    if (b.name >= keep->name) break;
    result.bytes += remove_counted(fs::path(archive.base_dir()) / b.name);
    result.base_backups.push_back(b.name);
  }
  uint64_t start = *parse_lsn(keep->start_lsn);
  for (auto& seg : list_segments(archive.wal_dir(), state->wal_segment_size)) {
    if (seg.number >= start / state->wal_segment_size) continue;
    result.bytes += remove_counted(fs::path(archive.wal_dir()) / seg.file);
    ++result.wal_files;
  }
  result.restore_points = archive.drop_restore_points_before(start);
  spdlog::info("PITR: pruned to a {}-day window: {} base backups, {} WAL files, {} restore points, {} set-aside "
               "histories, {} bytes; the archive now starts at base backup {}",
               window_days, result.base_backups.size(), result.wal_files, result.restore_points,
               result.abandoned.size(), result.bytes, keep->name);
  return result;
}

}  // namespace keepsake::pitr
