#include "backup/backup_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "common/error.h"
#include "common/log.h"

namespace keepsake::backup {
namespace fs = std::filesystem;
namespace {

const std::regex kValidName(R"(^[0-9A-Za-z_\-.]+\.sql(?:\.gz)?$)");
const std::regex kValidParam(R"(^[a-zA-Z0-9_\-.]+$)");
const std::regex kRoutineOld(R"(^immich-db-backup-\d+\.sql\.gz$)");
const std::regex kRoutineNew(R"(^immich-db-backup-\d{8}T\d{6}-v.*-pg.*\.sql\.gz$)");
const std::regex kFailed(R"(^immich-db-backup-.*\.sql\.gz\.tmp$)");
const std::regex kUploadPart(R"(^\.upload-[0-9]+\.part$)");
const std::regex kVersion(R"(-v(.*)-)");
const std::regex kStampNew(R"((\d{8})T(\d{6}))");
const std::regex kStampOld(R"(immich-db-backup-(\d{10,})\.sql)");

// When the backup was made: the timestamp in its name (local time, or epoch ms for old names),
// else the file's modification time.
int64_t creation_seconds(const std::string& name, const fs::path& path) {
  std::smatch m;
  if (std::regex_search(name, m, kStampNew)) {
    std::tm tm{};
    std::string s = m[1].str() + m[2].str();
    if (strptime(s.c_str(), "%Y%m%d%H%M%S", &tm)) {
      tm.tm_isdst = -1;
      return static_cast<int64_t>(mktime(&tm));
    }
  }
  if (std::regex_search(name, m, kStampOld)) return std::stoll(m[1].str().substr(0, 15)) / 1000;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) return st.st_mtime;
  return 0;
}

std::string timestamp_local(std::chrono::system_clock::time_point when) {
  time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  return buf;
}

void remove_logged(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) spdlog::warn("Failed to delete old backup file {}: {}", p.string(), ec.message());
}

// The IANA zone of this process: TZ, else /etc/localtime's target, else /etc/timezone, else UTC.
std::string system_timezone() {
  if (const char* tz = std::getenv("TZ"); tz && *tz) return tz[0] == ':' ? tz + 1 : tz;
  std::error_code ec;
  std::string target = fs::read_symlink("/etc/localtime", ec).string();
  if (auto at = target.find("zoneinfo/"); !ec && at != std::string::npos) return target.substr(at + 9);
  std::ifstream in("/etc/timezone");
  std::string zone;
  if (in >> zone) return zone;
  return "UTC";
}

}  // namespace

std::string backup_version_string(const std::optional<std::string>& immich_release) {
  if (!immich_release) return kUnknownImmichVersion;
  return immich_release->rfind('v', 0) == 0 ? immich_release->substr(1) : *immich_release;
}

std::string make_backup_name(std::chrono::system_clock::time_point when,
                             const std::string& pg_server_version, const std::string& version,
                             const std::string& prefix) {
  std::string pg = pg_server_version.substr(0, pg_server_version.find(' '));
  return prefix + "immich-db-backup-" + timestamp_local(when) + "-v" + version + "-pg" + pg + ".sql.gz";
}

std::string server_timezone() { return immich_timezone_name(system_timezone()); }

std::string immich_timezone_name(const std::string& iana_zone) {
  static const std::set<std::string> kUtcAliases = {
      "UTC",      "UCT",     "Universal", "Zulu",      "GMT",       "GMT0",
      "GMT+0",    "GMT-0",   "Greenwich", "Etc/UTC",   "Etc/UCT",   "Etc/Universal",
      "Etc/Zulu", "Etc/GMT", "Etc/GMT0",  "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich"};
  return kUtcAliases.count(iana_zone) ? "UTC" : iana_zone;
}

bool is_valid_backup_name(const std::string& name) { return std::regex_match(name, kValidName); }
bool is_valid_filename_param(const std::string& name) { return std::regex_match(name, kValidParam); }
bool is_routine_backup_name(const std::string& name) {
  return std::regex_match(name, kRoutineOld) || std::regex_match(name, kRoutineNew);
}
bool is_failed_backup_name(const std::string& name) { return std::regex_match(name, kFailed); }

std::optional<std::string> version_from_name(const std::string& name) {
  std::smatch m;
  if (!std::regex_search(name, m, kVersion)) return std::nullopt;
  return m[1].str();
}

std::string uploaded_backup_name(const std::string& original_name) {
  constexpr size_t kMaxFileName = 255;  // NAME_MAX of Linux file systems
  std::string base = fs::path(original_name).filename().string();
  if (!is_valid_backup_name(base) || base.size() + kUploadedPrefix.size() > kMaxFileName) {
    throw Error(ErrorKind::kInvalidArgument, "Invalid backup name!",
                "a backup name ends in .sql or .sql.gz, uses only letters, digits, _ - and ., and has at most " +
                    std::to_string(kMaxFileName - kUploadedPrefix.size()) + " characters");
  }
  return std::string(kUploadedPrefix) + base;
}

std::string backups_folder(const std::string& media_location) {
  return (fs::path(media_location) / "backups").string();
}

std::vector<BackupFile> list_backups(const std::string& folder) {
  struct Entry {
    BackupFile file;
    int64_t created;
  };
  std::vector<Entry> entries;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return {};
  for (const auto& e : fs::directory_iterator(folder)) {
    std::string name = e.path().filename().string();
    if (!is_valid_backup_name(name) || !e.is_regular_file() || e.is_symlink()) continue;
    entries.push_back({{name, static_cast<uint64_t>(e.file_size())}, creation_seconds(name, e.path())});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.created != b.created) return a.created > b.created;
    return a.file.filename > b.file.filename;
  });
  std::vector<BackupFile> out;
  for (auto& e : entries) out.push_back(std::move(e.file));
  return out;
}

std::vector<std::string> names_to_prune(const std::vector<std::string>& names, int keep_last) {
  std::vector<std::string> routine, doomed;
  for (const auto& n : names) {
    if (is_routine_backup_name(n)) routine.push_back(n);
    if (is_failed_backup_name(n)) doomed.push_back(n);
  }
  std::sort(routine.begin(), routine.end(), std::greater<>());
  for (size_t i = std::max(keep_last, 0); i < routine.size(); ++i) doomed.push_back(routine[i]);
  return doomed;
}

namespace {

// Part files of uploads that were killed (a running upload writes to its part file all the time).
std::vector<std::string> abandoned_upload_parts(const std::string& folder, const std::vector<std::string>& names) {
  constexpr auto kAbandonedAfter = std::chrono::hours(24);
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!std::regex_match(n, kUploadPart)) continue;
    std::error_code ec;
    auto written = fs::last_write_time(fs::path(folder) / n, ec);
    if (!ec && fs::file_time_type::clock::now() - written > kAbandonedAfter) out.push_back(n);
  }
  return out;
}

}  // namespace

std::vector<std::string> prune_backups(const std::string& folder, int keep_last) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return {};
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  auto doomed = names_to_prune(names, keep_last);
  for (const auto& n : doomed) {
    remove_logged(fs::path(folder) / n);
    if (!is_failed_backup_name(n)) remove_logged(fs::path(folder) / (n + ".sha256"));
  }
  for (const auto& n : abandoned_upload_parts(folder, names)) {
    remove_logged(fs::path(folder) / n);
    doomed.push_back(n);
  }
  return doomed;
}

std::string resolve_backup_path(const std::string& folder, const std::string& name, bool must_exist) {
  if (!is_valid_backup_name(name) || name.find("..") != std::string::npos) {
    throw Error(ErrorKind::kInvalidArgument, "Invalid backup name!",
                "a backup name ends in .sql or .sql.gz and uses only letters, digits, _ - and .");
  }
  fs::path path = fs::path(folder) / name;
  if (!must_exist) return path.string();
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::kNotFound, "Backup " + name + " not found in " + folder,
                "list the backups with `keepsake backup list`");
  }
  return path.string();
}

void delete_backups(const std::string& folder, const std::vector<std::string>& names) {
  std::vector<std::string> paths;
  for (const auto& n : names) paths.push_back(resolve_backup_path(folder, n, false));
  for (const auto& p : paths) {
    struct stat st {};
    if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    std::error_code ec;
    fs::remove(p, ec);
    if (ec) throw Error(ErrorKind::kIo, "cannot delete " + p + ": " + ec.message());
    fs::remove(p + ".sha256", ec);
  }
}

void make_readable_by_all(int fd, const std::string& path) {
  if (fchmod(fd, kBackupFileMode) != 0) {
    throw Error(ErrorKind::kIo, "cannot set the mode of " + path + ": " + std::strerror(errno));
  }
}

void write_sha256_sidecar(const std::string& file_path, const std::string& sha256_hex) {
  std::string sidecar = file_path + ".sha256", tmp = sidecar + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << sha256_hex << "  " << fs::path(file_path).filename().string() << "\n";
    out.flush();
    if (!out) throw Error(ErrorKind::kIo, "cannot write " + tmp);
  }
  std::error_code ec;
  fs::permissions(tmp, static_cast<fs::perms>(kBackupFileMode), ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot set the mode of " + tmp + ": " + ec.message());
  fsync_path(tmp, false);
  fs::rename(tmp, sidecar, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot rename " + tmp + ": " + ec.message());
}

std::optional<std::string> read_sha256_sidecar(const std::string& file_path) {
  std::ifstream in(file_path + ".sha256");
  std::string hex;
  if (!(in >> hex)) return std::nullopt;
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(c); })) {
    throw Error(ErrorKind::kCorrupt, file_path + ".sha256 does not hold a SHA-256 checksum");
  }
  return hex;
}

}  // namespace keepsake::backup
