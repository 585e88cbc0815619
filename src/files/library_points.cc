#include <filesystem>
#include <fstream>

#include "backup/backup_files.h"
#include "common/error.h"
#include "common/utc_time.h"
#include "files/files_internal.h"

namespace keepsake::files {
namespace fs = std::filesystem;
namespace {

// <files>/checks.json: per repository (as configured), its last check {time, ok, readData, error}
// and its last passed one {time, readData, readDataPercent, snapshots: [ids it covered]}.
std::string checks_file(const FilesSettings& s) { return files_dir(s) + "/checks.json"; }
// Before checks.json: the last passed check of whichever repository was checked last.
std::string legacy_check_file(const FilesSettings& s) { return files_dir(s) + "/last-check.json"; }

nlohmann::json read_json_object(const std::string& path) {
  std::ifstream in(path);
  auto j = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  return j.is_object() ? j : nlohmann::json::object();
}

nlohmann::json read_checks(const FilesSettings& s) { return read_json_object(checks_file(s)); }

// The last passed check of `repository` in `all` (checks.json as read).
nlohmann::json last_passed_check(const FilesSettings& s, const nlohmann::json& all, const std::string& repository) {
  if (all.contains(repository)) return all[repository].value("lastPassed", nlohmann::json::object());
  return read_json_object(legacy_check_file(s));  // its snapshot ids say which repository it was
}

// The share of the packs' data a --read-data-subset reads: "5%" -> 5, "1/4" -> 25, "" -> 0.
int read_data_percent(const std::string& read_data) {
  if (read_data.empty()) return 0;
  auto slash = read_data.find('/');
  if (slash == std::string::npos) return std::stoi(read_data);
  return 100 / std::max(1, std::stoi(read_data.substr(slash + 1)));
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

void record_check(const FilesSettings& s, const std::string& read_data, bool ok,
                  const std::string& error) {
  auto all = read_checks(s);
  auto& entry = all[configured_repository(s)];
  auto now = iso8601_utc();
  entry["last"] = {{"time", now}, {"ok", ok}, {"readData", read_data}, {"error", error}};
  if (ok) {
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& snapshot : list_snapshots(s)) ids.push_back(snapshot.id);
    entry["lastPassed"] = {{"time", now}, {"readData", read_data},
                           {"readDataPercent", read_data_percent(read_data)}, {"snapshots", ids}};
  }
  fs::create_directories(files_dir(s));
  auto tmp = checks_file(s) + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << all.dump(2) << "\n";
  fs::rename(tmp, checks_file(s));
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
  auto check = last_passed_check(settings, read_checks(settings), configured_repository(settings));
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

nlohmann::json repository_checks(const FilesSettings& settings) {
  auto all = read_checks(settings);
  auto result = nlohmann::json::array();
  for (const auto& repository : configured_repositories(settings)) {
    auto passed = last_passed_check(settings, all, repository.url);
    auto entry = all.value(repository.url, nlohmann::json::object());
    nlohmann::json last = entry.value("last", nlohmann::json());
    result.push_back({{"repository", shown_repository(repository.url)},
                      {"last", last},
                      {"lastPassed", passed.empty() ? nlohmann::json() :
                                         nlohmann::json{{"time", passed.value("time", "")},
                                                        {"readData", passed.value("readData", "")},
                                                        {"readDataPercent", passed.value("readDataPercent", 0)},
                                                        {"snapshots", passed.value("snapshots", nlohmann::json::array()).size()}}}});
  }
  return result;
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
