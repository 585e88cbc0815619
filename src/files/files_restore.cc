// restic restore of a snapshot into a new folder, or in place through a staging folder (only
// missing or different files written, extras moved aside, never deleted); fetching one database
// backup back from a snapshot.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "backup/backup_files.h"
#include "common/error.h"
#include "common/utc_time.h"
#include "files/files_internal.h"

namespace keepsake::files {
namespace fs = std::filesystem;
namespace {

using Progress = std::function<void(const std::string& phase, int64_t done, int64_t total)>;

// The bytes the snapshot restores (restic stats --mode restore-size); 0 when unknown.
int64_t restore_size(const FilesSettings& settings, const std::string& snapshot) {
  auto r = restic_for(settings).run({"stats", "--json", "--mode", "restore-size", "--", snapshot});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_object() ? j.value("total_size", int64_t{0}) : 0;
}

// The bytes of the regular files under `dir` as they are now (files may come and go meanwhile).
int64_t bytes_under(const fs::path& dir) {
  int64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      auto size = it->file_size(size_ec);
      if (!size_ec) bytes += static_cast<int64_t>(size);
    }
  }
  return bytes;
}

// While it lives, reports the bytes under a folder restic restores into, once a second.
class RestoreWatch {
 public:
  RestoreWatch(fs::path dir, int64_t total, const Progress& progress)
      : dir_(std::move(dir)), total_(total), progress_(progress) {
    if (!progress_) return;
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        lock.unlock();
        progress_("restore", bytes_under(dir_), total_);
        lock.lock();
        wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      }
    });
  }
  ~RestoreWatch() { stop(); }
  // Stops watching and reports the bytes restored.
  void finish() {
    stop();
    if (progress_) progress_("restore", bytes_under(dir_), total_);
  }
  RestoreWatch(const RestoreWatch&) = delete;
  RestoreWatch& operator=(const RestoreWatch&) = delete;

 private:
  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  fs::path dir_;
  int64_t total_;
  const Progress& progress_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Copies every file of `from` that is missing or different under `to` (through a temporary name
// and a rename); never deletes anything under `to`.
void merge_into(const fs::path& from, const fs::path& to, int64_t total, const Progress& progress,
                RestoreResult& result) {
  int64_t done = 0;
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_regular_file()) continue;
    auto dest = to / fs::relative(it->path(), from);
    done += static_cast<int64_t>(it->file_size());
    if (fs::exists(dest) && same_content(it->path(), dest)) {
      ++result.unchanged;
    } else {
      copy_into_place(it->path(), dest);
      ++result.written;
    }
    if (progress) progress("compare", done, total);
  }
}

// Moves every file under the restored tree's top folders in `media` that the tree lacks into
// <media>/.keepsake-extras/<time>/, keeping its relative path. backups/ is left alone: database
// backups made after the snapshot are no extras.
void move_extras_aside(const fs::path& tree, const fs::path& media, RestoreResult& result) {
  auto aside = media / ".keepsake-extras" / compact_utc();
  for (const auto& top : fs::directory_iterator(tree)) {
    auto live = media / top.path().filename();
    if (!top.is_directory() || !fs::is_directory(live) || top.path().filename() == "backups") {
      continue;
    }
    std::vector<fs::path> extras;
    for (const auto& e : fs::recursive_directory_iterator(live)) {
      if (e.is_regular_file() && !fs::exists(tree / fs::relative(e.path(), media))) {
        extras.push_back(e.path());
      }
    }
    for (const auto& e : extras) {
      auto dest = aside / fs::relative(e, media);
      fs::create_directories(dest.parent_path());
      fs::rename(e, dest);
      ++result.extras_moved;
    }
  }
  if (result.extras_moved > 0) result.extras_folder = aside.string();
}

int64_t count_files(const fs::path& dir) {
  int64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace

RestoreResult restore_files(const FilesSettings& settings, const RestoreOptions& options) {
  RestoreResult result;
  bool in_place = options.target.empty();
  result.target = in_place ? settings.media_location : fs::absolute(options.target).string();
  std::string into = result.target;
  if (in_place) {
    into = fresh_staging(settings, "restore-staging");
  } else if (options.delete_extra) {
    throw Error(ErrorKind::kInvalidArgument, "--delete-extra applies to an in-place restore only",
                "a restore into a new folder has no extra files");
  } else if (fs::exists(into) && !fs::is_empty(into)) {
    throw Error(ErrorKind::kConflict, "the restore target " + into + " is not empty",
                "restore into a new or empty folder, or without --target to repair in place");
  }
  fs::create_directories(into);
  int64_t total = options.progress ? restore_size(settings, options.snapshot) : 0;
  RestoreWatch watch(into, total, options.progress);
  restic_for(settings).run({"restore", "--target", into, "--", options.snapshot});
  watch.finish();
  if (!in_place) {
    result.written = count_files(into);
    return result;
  }
  merge_into(into, settings.media_location, total, options.progress, result);
  if (options.delete_extra) move_extras_aside(into, settings.media_location, result);
  fs::remove_all(into);
  return result;
}

bool fetch_database_backup(const FilesSettings& settings, const std::string& snapshot,
                           const std::string& filename) {
  auto folder = backup::backups_folder(settings.media_location);
  auto path = backup::resolve_backup_path(folder, filename, /*must_exist=*/false);
  if (fs::is_regular_file(path)) return false;
  auto staging = fresh_staging(settings, "backup-staging");
  restic_for(settings).run({"restore", "--target", staging, "--include", "/backups/" + filename,
                            "--include", "/backups/" + filename + ".sha256", "--", snapshot});
  auto fetched = fs::path(staging) / "backups" / filename;
  if (!fs::is_regular_file(fetched)) {
    throw Error(ErrorKind::kNotFound, "the snapshot " + snapshot + " does not hold " + filename);
  }
  fs::create_directories(folder);
  if (fs::exists(fetched.string() + ".sha256")) {
    copy_into_place(fetched.string() + ".sha256", path + ".sha256");
  }
  copy_into_place(fetched, path);
  fs::remove_all(staging);
  return true;
}

}  // namespace keepsake::files
