// adopt_timeline: the archive follows the embedded cluster onto the timeline a restore began.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;

namespace {

// The timeline a base backup's WAL is on (its manifest's last WAL range); 0 when unknown.
uint32_t base_timeline(const std::string& folder) {
  std::ifstream in(folder + "/backup_manifest");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("WAL-Ranges") || j["WAL-Ranges"].empty()) return 0;
  return j["WAL-Ranges"].back().value("Timeline", uint32_t{0});
}

void move_into(const std::string& from, const std::string& folder) {
  fs::create_directories(folder);
  fs::rename(from, folder + "/" + fs::path(from).filename().string());
}

void copy_for_postgres(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  if (auto user = postgres_run_as(); user && chown(to.c_str(), user->uid, user->gid) != 0) {
    throw Error(ErrorKind::kIo, "cannot hand " + to + " to user " + user->name);
  }
}

}  // namespace

std::optional<TimelineHistory> newest_history(const std::string& data_dir) {
  std::optional<TimelineHistory> newest;
  std::error_code ec;
  for (fs::directory_iterator it(data_dir + "/pg_wal", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() != 16 || !name.ends_with(".history")) continue;
    if (name.substr(0, 8).find_first_not_of("0123456789ABCDEF") != std::string::npos) continue;
    uint32_t timeline = static_cast<uint32_t>(std::stoul(name.substr(0, 8), nullptr, 16));
    if (newest && newest->timeline >= timeline) continue;
    TimelineHistory h;
    h.timeline = timeline;
    h.file = name;
    std::ifstream in(it->path());
    std::string line;
    while (std::getline(in, line)) {
      auto tab = line.find('\t');
      if (line.empty() || line[0] == '#' || tab == std::string::npos) continue;
      auto lsn_end = line.find('\t', tab + 1);
      if (auto lsn = parse_lsn(line.substr(tab + 1, lsn_end == std::string::npos ? std::string::npos : lsn_end - tab - 1))) {
        h.switch_lsn = *lsn;
      }
    }
    if (h.switch_lsn == 0) throw Error(ErrorKind::kCorrupt, "cannot read the timeline history " + it->path().string());
    struct stat st;
    if (stat(it->path().c_str(), &st) == 0) h.written_us = int64_t{st.st_mtim.tv_sec} * 1000000 + st.st_mtim.tv_nsec / 1000;
    newest = h;
  }
  return newest;
}

std::string format_lsn(uint64_t lsn) {
  char buf[32];
  snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

AdoptResult adopt_timeline(const std::string& archive_dir, const std::string& data_dir) {
  Archive archive(archive_dir);
  auto state = archive.read_state();
  auto history = newest_history(data_dir);
  if (!state || !history || state->timeline >= history->timeline) return {};
  AdoptResult r;
  r.timeline = history->timeline;
  r.switch_lsn = format_lsn(history->switch_lsn);
  const std::string aside = archive.abandoned_dir() + "/" + stamp(std::chrono::system_clock::now()) + "-timeline-" +
                            std::to_string(history->timeline - 1);
  const uint64_t switch_segment = history->switch_lsn / state->wal_segment_size;
  // The archive resumes with the new timeline's first segment, from the cluster itself (the slot
  // holds it): the older timelines' copies of it go aside, and pg_receivewal restarts a .partial
  // from its beginning, on the new timeline, asking nothing of the old ones (whose switch segments
  // the cluster may not have).
  const std::string first = segment_file_name(history->timeline, switch_segment, state->wal_segment_size);
  const bool first_archived = fs::exists(archive.wal_dir() + "/" + first) ||
                              fs::exists(archive.wal_dir() + "/" + first + ".partial");
  if (!first_archived && !fs::exists(data_dir + "/pg_wal/" + first)) {
    throw Error(ErrorKind::kUnavailable,
                "the new timeline's first WAL segment " + first + " is neither archived nor in " + data_dir +
                    "/pg_wal: the archive cannot follow the restored cluster",
                "take a new base backup (`keepsake pitr backup`); recovery to before the restore still works");
  }
  for (const auto& seg : list_segments(archive.wal_dir(), state->wal_segment_size)) {
    if (seg.timeline >= history->timeline || seg.number < switch_segment) continue;
    move_into(archive.wal_dir() + "/" + seg.file, aside + "/wal");
    ++r.wal_segments;
  }
  for (const auto& b : archive.base_backups()) {
    std::string folder = archive.base_dir() + "/" + b.name;
    if (base_timeline(folder) >= history->timeline || parse_lsn(b.end_lsn).value_or(0) <= history->switch_lsn) continue;
    move_into(folder, aside + "/base");
    r.base_backups.push_back(b.name);
  }
  // Only the points made before the promotion: those made since are on the new timeline.
  fs::create_directories(aside);
  r.restore_points =
      archive.move_restore_points_after(history->switch_lsn, history->written_us, aside + "/restore-points.json");
  copy_for_postgres(data_dir + "/pg_wal/" + history->file, archive.wal_dir() + "/" + history->file);
  if (!first_archived) copy_for_postgres(data_dir + "/pg_wal/" + first, archive.wal_dir() + "/" + first + ".partial");
  if (r.wal_segments || !r.base_backups.empty() || r.restore_points) {
    if (auto user = postgres_run_as()) chown_recursive(archive.abandoned_dir(), *user);
    r.set_aside_dir = aside;
  } else {
    std::error_code ec;
    fs::remove(aside, ec);
  }
  state->timeline = history->timeline;
  archive.write_state(*state);
  spdlog::info("PITR: the archive follows timeline {} from {} on; set aside in {}: {} WAL segments, {} base backups, "
               "{} restore points of the history the restore undid",
               r.timeline, r.switch_lsn, r.set_aside_dir.empty() ? "(nothing)" : r.set_aside_dir, r.wal_segments,
               r.base_backups.size(), r.restore_points);
  return r;
}

}  // namespace keepsake::pitr
