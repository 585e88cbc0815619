#include "storage/mount_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "db/locks.h"
#include "db/system_metadata.h"

namespace keepsake::storage {

const char* const kFolderChecksDocs =
    "Please see https://docs.immich.app/administration/system-integrity#folder-checks for more "
    "information.";

namespace {
namespace fs = std::filesystem;

std::string external_path(StorageFolder folder) {
  return std::string("<UPLOAD_LOCATION>/") + folder_name(folder) + "/.immich";
}

std::string now_millis() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return std::to_string(ms.count());
}

// Writes the whole buffer to a file opened with `flags`; returns 0 or the errno.
int write_file(const std::string& path, int flags, const std::string& content) {
  int fd = ::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int err = 0;
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

// Reads the file to the end; returns 0 or the errno.
int read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[256];
  int err = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
  }
  ::close(fd);
  return err;
}

// Immich's createMountFile: mkdir -p, then create the marker exclusively. An existing marker is
// fine (warned). Returns the error text or nothing.
std::optional<std::string> create_marker(const StorageLayout& layout, FolderCheck& check) {
  const auto marker = layout.mount_marker(check.folder);
  std::error_code ec;
  fs::create_directories(layout.base_folder(check.folder), ec);
  int err = ec ? ec.value() : write_file(marker, O_CREAT | O_EXCL, now_millis());
  if (err == EEXIST) {
    spdlog::warn("Found existing mount file, skipping creation");
    return std::nullopt;
  }
  if (err != 0) {
    spdlog::error("Failed to create {}: {}", marker, std::strerror(err));
    return "Failed to create \"" + external_path(check.folder) + " - " + kFolderChecksDocs + "\"";
  }
  check.created = true;
  return std::nullopt;
}

std::optional<std::string> verify_read(const StorageLayout& layout, FolderCheck& check) {
  const auto marker = layout.mount_marker(check.folder);
  if (int err = read_file(marker); err != 0) {
    spdlog::error("Failed to read {}: {}", marker, std::strerror(err));
    return "Failed to read: \"" + external_path(check.folder) + " (" + marker + ") - " +
           kFolderChecksDocs + "\"";
  }
  check.readable = true;
  return std::nullopt;
}

std::optional<std::string> verify_write(const StorageLayout& layout, FolderCheck& check) {
  const auto marker = layout.mount_marker(check.folder);
  if (int err = write_file(marker, O_TRUNC, now_millis()); err != 0) {
    spdlog::error("Failed to write {}: {}", marker, std::strerror(err));
    return "Failed to write \"" + external_path(check.folder) + " - " + kFolderChecksDocs + "\"";
  }
  check.writable = true;
  return std::nullopt;
}

FolderCheck check_folder(const StorageLayout& layout, StorageFolder folder, bool flagged) {
  FolderCheck check;
  check.folder = folder;
  check.was_flagged = flagged;
  if (!flagged) {
    spdlog::info("Writing initial mount file for the {} folder", folder_name(folder));
    check.error = create_marker(layout, check);
  }
  if (!check.error) check.error = verify_read(layout, check);
  if (!check.error) check.error = verify_write(layout, check);
  return check;
}

nlohmann::json load_flags(db::SystemMetadataRepository& repo) {
  auto flags = repo.get(db::metadata_key::kSystemFlags).value_or(nlohmann::json::object());
  if (!flags.is_object()) flags = nlohmann::json::object();
  if (!flags.contains("mountChecks") || !flags["mountChecks"].is_object()) {
    flags["mountChecks"] = nlohmann::json::object();
  }
  return flags;
}

}  // namespace

bool MountCheckReport::ok() const { return first_error().empty(); }

std::string MountCheckReport::first_error() const {
  for (const auto& f : folders) {
    if (f.error) return *f.error;
  }
  return {};
}

MountCheckReport verify_mounts(db::Connection& conn, const StorageLayout& layout) {
  db::SystemMetadataRepository repo(conn);
  auto flags = load_flags(repo);
  spdlog::info("Verifying system mount folder checks, current state: {}", flags.dump());
  MountCheckReport report;
  bool updated = false;
  for (auto folder : kStorageFolders) {
    auto& mount_checks = flags["mountChecks"];
    const char* name = folder_name(folder);
    bool flagged = mount_checks.value(name, false) == true;
    report.folders.push_back(check_folder(layout, folder, flagged));
    if (!flagged && !report.folders.back().error) {
      mount_checks[name] = true;
      updated = true;
    }
  }
  if (updated) {
    repo.upsert(db::metadata_key::kSystemFlags, flags);
    report.flags_saved = true;
    spdlog::info("Successfully enabled system mount folders checks");
  }
  if (report.ok()) spdlog::info("Successfully verified system mount folder checks");
  return report;
}

MountCheckReport run_boot_mount_checks(const DatabaseConfig& database, const StorageLayout& layout,
                                       bool ignore_errors) {
  MountCheckReport report;
  db::with_lock(database, db::DatabaseLock::SystemFileMounts,
                [&](db::Connection& conn) { report = verify_mounts(conn, layout); });
  if (report.ok()) return report;
  for (const auto& f : report.folders) {
    if (f.error) spdlog::error("{}", *f.error);
  }
  if (!ignore_errors) {
    throw Error(ErrorKind::kIo, report.first_error(),
                "fix the mount, or set IMMICH_IGNORE_MOUNT_CHECK_ERRORS=true to start anyway");
  }
  spdlog::warn("Ignoring mount folder errors");
  return report;
}

std::vector<PriorInstallFolder> detect_prior_install(const StorageLayout& layout) {
  std::vector<PriorInstallFolder> out;
  for (auto folder : kStorageFolders) {
    PriorInstallFolder f;
    f.folder = folder;
    std::error_code ec;
    for (fs::directory_iterator it(layout.base_folder(folder), ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->path().filename() != ".immich") ++f.files;
    }
    const auto marker = layout.mount_marker(folder);
    f.readable = read_file(marker) == 0;
    f.writable = f.readable && write_file(marker, O_TRUNC, now_millis()) == 0;
    out.push_back(f);
  }
  return out;
}

}  // namespace keepsake::storage
