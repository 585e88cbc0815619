#include "storage/folder_usage.h"

#include <filesystem>

#include "common/log.h"
#include "common/utc_time.h"
#include "storage/layout.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;


// False when stopped.
bool walk(FolderUsage& usage, const std::atomic<bool>& stop) {
  std::error_code ec;
  usage.exists = fs::is_directory(usage.path, ec);
  if (!usage.exists) return true;
  fs::recursive_directory_iterator it(usage.path, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (stop) return false;
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    auto size = it->file_size(ec);
    if (ec) continue;
    usage.bytes += size;
    ++usage.files;
  }
  if (ec) spdlog::warn("Cannot measure all of {}: {}", usage.path, ec.message());
  return true;
}

}  // namespace

std::optional<UsageReport> measure_folder_usage(const std::string& media_location, const std::atomic<bool>& stop) {
  StorageLayout layout(media_location);
  auto started = std::chrono::steady_clock::now();
  UsageReport report;
  for (auto folder : kStorageFolders) {
    FolderUsage usage{folder_name(folder), layout.base_folder(folder)};
    if (!walk(usage, stop)) return std::nullopt;
    report.folders.push_back(std::move(usage));
  }
  report.measured_at = iso8601_utc();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

FolderUsageCache::~FolderUsageCache() {
  stop_ = true;
  if (worker_.joinable()) worker_.join();
}

FolderUsageCache::Snapshot FolderUsageCache::get(const std::string& media_location) {
  std::lock_guard lock(mutex_);
  if (location_ != media_location) report_.reset();
  bool stale = !report_ || std::chrono::steady_clock::now() - measured_ > max_age_;
  if (stale && !measuring_) {
    if (worker_.joinable()) worker_.join();  // finished: measuring_ is false
    location_ = media_location;
    measuring_ = true;
    worker_ = std::thread(&FolderUsageCache::run, this, media_location);
  }
  return {report_, measuring_};
}

void FolderUsageCache::run(std::string media_location) {
  std::optional<UsageReport> report;
  try {
    report = measure_folder_usage(media_location, stop_);
  } catch (const std::exception& e) {
    spdlog::warn("Cannot measure the media folders: {}", e.what());
  }
  std::lock_guard lock(mutex_);
  measuring_ = false;
  if (report && location_ == media_location) {
    report_ = std::move(report);
    measured_ = std::chrono::steady_clock::now();
  }
}

}  // namespace keepsake::storage
