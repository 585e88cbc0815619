#include <chrono>
#include <filesystem>
#include <fstream>

#include "backup/backup_files.h"
#include "common/error.h"
#include "files/files_internal.h"

namespace keepsake::files {
namespace fs = std::filesystem;
namespace {

std::string last_check_file(const FilesSettings& s) { return files_dir(s) + "/last-check.json"; }

nlohmann::json read_last_check(const FilesSettings& s) {
  std::ifstream in(last_check_file(s));
  auto j = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  return j.is_object() ? j : nlohmann::json::object();
}

std::string utc_now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int64_t tag_number(const Snapshot& s, const std::string& prefix) {
  for (const auto& t : s.tags) {
    if (t.rfind(prefix, 0) == 0) return std::stoll(t.substr(prefix.size()));
  }
  return -1;
}

std::string tag_value(const Snapshot& s, const std::string& prefix) {
  for (const auto& t : s.tags) {
    if (t.rfind(prefix, 0) == 0) return t.substr(prefix.size());
  }
  return "";
}

std::string database_state(const FilesSettings& s, const LibraryPoint& p) {
  auto path = backup::backups_folder(s.media_location) + "/" + p.database_backup;
  if (!fs::is_regular_file(path)) return "in-snapshot-only";
  auto sidecar = backup::read_sha256_sidecar(path);
  if (p.database_sha256.empty() || !sidecar) return "unknown";
  return *sidecar == p.database_sha256 ? "verified" : "changed";
}

}  // namespace

bool has_repository(const FilesSettings& s) {
  return repository_configured(s);
}

void record_passed_check(const FilesSettings& s, int read_data_percent) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& snapshot : list_snapshots(s)) ids.push_back(snapshot.id);
  nlohmann::json record{{"time", utc_now()}, {"readDataPercent", read_data_percent},
                        {"snapshots", ids}};
  std::ofstream(last_check_file(s), std::ios::trunc) << record.dump() << "\n";
}

std::vector<LibraryPoint> list_library_points(const FilesSettings& settings,
                                              std::vector<std::string>* unreadable) {
  std::vector<LibraryPoint> points;
  for (const auto& repository : configured_repositories(settings)) {
    auto one = for_repository(settings, repository);
    try {
      for (auto& p : library_points_of(one, list_snapshots(one))) points.push_back(std::move(p));
    } catch (const Error& e) {
      if (!unreadable) throw;
      unreadable->push_back(shown_repository(repository.url) + ": " + e.full_message());
    }
  }
  std::stable_sort(points.begin(), points.end(), [](const LibraryPoint& a, const LibraryPoint& b) {
    return a.snapshot.time > b.snapshot.time;
  });
  return points;
}

std::vector<LibraryPoint> library_points_of(const FilesSettings& settings,
                                            const std::vector<Snapshot>& snapshots) {
  auto check = read_last_check(settings);
  auto checked = check.value("snapshots", std::vector<std::string>{});
  std::vector<LibraryPoint> points;
  for (const auto& snapshot : snapshots) {
    if (snapshot.db_backup.empty() || snapshot.db_backup == "none") continue;
    LibraryPoint p;
    p.snapshot = snapshot;
    p.repository = configured_repository(settings);
    p.database_backup = snapshot.db_backup;
    p.database_sha256 = tag_value(snapshot, kDbSha256Tag);
    p.database_state = database_state(settings, p);
    if (std::find(checked.begin(), checked.end(), snapshot.id) != checked.end()) {
      p.files_checked_at = check.value("time", "");
      p.files_read_data_percent = check.value("readDataPercent", 0);
    }
    p.missing_irreplaceable = tag_number(snapshot, "keepsake-missing-irreplaceable:");
    p.missing_regenerable = tag_number(snapshot, "keepsake-missing-regenerable:");
    p.orphans = tag_number(snapshot, "keepsake-orphans:");
    points.push_back(std::move(p));
  }
  return points;
}

nlohmann::json last_repository_check(const FilesSettings& settings) {
  auto check = read_last_check(settings);
  if (check.empty()) return nullptr;
  return {{"time", check.value("time", "")}, {"readDataPercent", check.value("readDataPercent", 0)},
          {"snapshots", check.value("snapshots", nlohmann::json::array()).size()}};
}

nlohmann::json library_point_json(const LibraryPoint& p) {
  return {{"id", p.snapshot.short_id},
          {"time", p.snapshot.time},
          {"repository", shown_repository(p.repository)},
          {"database", {{"filename", p.database_backup},
                        {"sha256", p.database_sha256},
                        {"state", p.database_state}}},
          {"files", {{"snapshot", p.snapshot.id},
                     {"paths", p.snapshot.paths},
                     {"checked", !p.files_checked_at.empty()},
                     {"checkedAt", p.files_checked_at},
                     {"readDataPercent", p.files_read_data_percent}}},
          {"scan", {{"missingIrreplaceable", p.missing_irreplaceable},
                    {"missingRegenerable", p.missing_regenerable},
                    {"orphans", p.orphans}}}};
}

LibraryPoint find_library_point(const FilesSettings& settings, const std::string& id) {
  std::vector<std::string> unreadable;
  auto points = list_library_points(settings, &unreadable);
  for (const auto& p : points) {
    if (id == "latest" || (!id.empty() && p.snapshot.id.rfind(id, 0) == 0)) return p;
  }
  if (!unreadable.empty()) {
    throw Error(ErrorKind::kUnavailable, "no library point " + id + " in the readable repositories",
                "unreadable: " + unreadable.front());
  }
  throw Error(ErrorKind::kNotFound, "no library point " + id,
              "`keepsake backup list` shows the library points (a finished file snapshot paired "
              "with a database backup)");
}

}  // namespace keepsake::files
