// Space used by each of Immich's media folders (library/, upload/, profile/, thumbs/,
// encoded-video/, backups/): the apparent size and count of the regular files under each, symlinks
// not followed. A walk of a large library takes seconds to minutes, so the admin console reads it
// through FolderUsageCache: the last measurement at once, a new one made in a background thread
// when it is older than its maximum age. Only reads the filesystem.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace keepsake::storage {

struct FolderUsage {
  std::string name;  // "library", ...
  std::string path;
  bool exists = false;
  uint64_t bytes = 0;
  int64_t files = 0;
};

struct UsageReport {
  std::vector<FolderUsage> folders;  // in Immich's folder order
  std::string measured_at;           // ISO 8601 UTC, when the walk finished
  double seconds = 0;                // how long the walk took
};

// Walks the six folders under `media_location`; stops early (returning nullopt) once `stop` is set.
std::optional<UsageReport> measure_folder_usage(const std::string& media_location, const std::atomic<bool>& stop);

// One measurement shared by the requests of a server. get() never waits for a walk.
class FolderUsageCache {
 public:
  explicit FolderUsageCache(std::chrono::seconds max_age = std::chrono::minutes(10)) : max_age_(max_age) {}
  ~FolderUsageCache();  // stops a running walk and waits for it
  FolderUsageCache(const FolderUsageCache&) = delete;
  FolderUsageCache& operator=(const FolderUsageCache&) = delete;

  struct Snapshot {
    std::optional<UsageReport> report;  // the last finished measurement of this media location
    bool measuring = false;             // a new one is running
  };
  // The last measurement; starts a new one when there is none for `media_location` or it is stale.
  Snapshot get(const std::string& media_location);

 private:
  void run(std::string media_location);

  std::chrono::seconds max_age_;
  std::mutex mutex_;
  std::string location_;
  std::optional<UsageReport> report_;
  std::chrono::steady_clock::time_point measured_;
  bool measuring_ = false;
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

}  // namespace keepsake::storage
