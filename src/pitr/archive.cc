#include "pitr/archive.h"

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "backup/pg_tools.h"
#include "common/error.h"
#include "common/file_sync.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kBaseRecord = "keepsake-backup.json";

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kCorrupt, path + " is not valid JSON: " + e.what(),
                "move it aside; `keepsake pitr status` then shows what is left");
  }
}

// Atomically (a reader never sees half a file), then handed to the postgres user.
void write_json(const std::string& path, const json& value) {
  write_file_atomically(path, value.dump(2) + "\n");
  if (auto user = postgres_run_as()) chown(path.c_str(), user->uid, user->gid);
}

json to_json(const BaseBackupInfo& b) {
  return {{"name", b.name},         {"start_lsn", b.start_lsn}, {"end_lsn", b.end_lsn},
          {"start_us", b.start_us}, {"end_us", b.end_us},       {"size", b.size},
          {"verified", b.verified}, {"verified_us", b.verified_us}, {"seconds", b.seconds}};
}

BaseBackupInfo base_from_json(const json& j) {
  BaseBackupInfo b;
  b.name = j.value("name", "");
  b.start_lsn = j.value("start_lsn", "");
  b.end_lsn = j.value("end_lsn", "");
  b.start_us = j.value("start_us", int64_t{0});
  b.end_us = j.value("end_us", int64_t{0});
  b.size = j.value("size", uint64_t{0});
  b.verified = j.value("verified", false);
  b.verified_us = j.value("verified_us", int64_t{0});
  b.seconds = j.value("seconds", 0.0);
  return b;
}

uint64_t folder_size(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

int64_t mtime_us(const fs::path& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return int64_t{st.st_mtim.tv_sec} * 1000000 + st.st_mtim.tv_nsec / 1000;
}

}  // namespace

void Archive::create() const {
  for (const auto& d : {dir_, wal_dir(), base_dir(), restore_dir()}) fs::create_directories(d);
  fs::permissions(dir_, fs::perms::owner_all);
  if (auto user = postgres_run_as()) chown_recursive(dir_, *user);
}

std::optional<ArchiveState> Archive::read_state() const {
  json j = read_json(state_file());
  if (j.is_null()) return std::nullopt;
  ArchiveState s;
  s.slot = j.value("slot", std::string(kSlotName));
  s.system_identifier = j.value("system_identifier", "");
  s.wal_segment_size = j.value("wal_segment_size", uint64_t{16u << 20});
  s.server_major = j.value("server_major", 0);
  s.enabled_us = j.value("enabled_us", int64_t{0});
  s.timeline = j.value("timeline", uint32_t{0});
  return s;
}

void Archive::write_state(const ArchiveState& s) const {
  write_json(state_file(), {{"slot", s.slot},
                            {"system_identifier", s.system_identifier},
                            {"wal_segment_size", s.wal_segment_size},
                            {"server_major", s.server_major},
                            {"enabled_us", s.enabled_us},
                            {"timeline", s.timeline}});
}

std::vector<BaseBackupInfo> Archive::base_backups() const {
  std::vector<BaseBackupInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(base_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    json j = read_json((it->path() / kBaseRecord).string());
    if (!j.is_null()) out.push_back(base_from_json(j));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void Archive::write_base_record(const std::string& folder, const BaseBackupInfo& info) const {
  write_json(folder + "/" + kBaseRecord, to_json(info));
}

std::vector<RestorePoint> Archive::restore_points() const {
  std::vector<RestorePoint> out;
  json j = read_json(journal_file());
  if (!j.is_array()) return out;
  for (auto& p : j) {
    out.push_back({p.value("name", ""), p.value("lsn", ""), p.value("time_us", int64_t{0}),
                   p.value("operation", "")});
  }
  return out;
}

void Archive::add_restore_point(const RestorePoint& point) const {
  json j = read_json(journal_file());
  if (!j.is_array()) j = json::array();
  j.push_back({{"name", point.name},
               {"lsn", point.lsn},
               {"time_us", point.time_us},
               {"time", format_iso8601(point.time_us)},
               {"operation", point.operation}});
  write_json(journal_file(), j);
}

int Archive::drop_restore_points_before(uint64_t lsn) const {
  json j = read_json(journal_file());
  if (!j.is_array()) return 0;
  json kept = json::array();
  for (auto& p : j) {
    auto at = parse_lsn(p.value("lsn", ""));
    if (!at || *at >= lsn) kept.push_back(p);
  }
  int dropped = static_cast<int>(j.size() - kept.size());
  if (dropped > 0) write_json(journal_file(), kept);
  return dropped;
}

int Archive::move_restore_points_after(uint64_t lsn, int64_t made_before_us, const std::string& to) const {
  json j = read_json(journal_file());
  if (!j.is_array()) return 0;
  json kept = json::array(), moved = json::array();
  for (auto& p : j) {
    auto at = parse_lsn(p.value("lsn", ""));
    bool undone = at && *at > lsn && p.value("time_us", int64_t{0}) < made_before_us;
    (undone ? moved : kept).push_back(p);
  }
  if (moved.empty()) return 0;
  write_json(to, moved);
  write_json(journal_file(), kept);
  return static_cast<int>(moved.size());
}

namespace {

void write_failure(const std::string& file, const std::string& message) {
  int64_t at = now_us();
  write_json(file, {{"time_us", at}, {"time", format_iso8601(at)}, {"message", message}});
}

std::optional<std::pair<int64_t, std::string>> read_failure(const std::string& file) {
  json j = read_json(file);
  if (!j.is_object()) return std::nullopt;
  return std::make_pair(j.value("time_us", int64_t{0}), j.value("message", std::string()));
}

}  // namespace

void Archive::record_failure(const std::string& message) const { write_failure(failure_file(), message); }

void Archive::clear_failure() const {
  std::error_code ec;
  fs::remove(failure_file(), ec);
}

std::optional<std::pair<int64_t, std::string>> Archive::failure() const { return read_failure(failure_file()); }

void Archive::record_enable_failure(const std::string& message) const {
  fs::create_directories(dir_);
  write_failure(enable_failure_file(), message);
}

std::optional<std::pair<int64_t, std::string>> Archive::enable_failure() const {
  return read_failure(enable_failure_file());
}

uint64_t Archive::space_used() const { return folder_size(dir_); }

std::vector<Segment> list_segments(const std::string& wal_dir, uint64_t segment_size) {
  std::vector<Segment> out;
  const uint64_t per_id = 0x100000000ull / segment_size;
  std::error_code ec;
  for (fs::directory_iterator it(wal_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool partial = name.size() == 32 && name.ends_with(".partial");
    if (name.size() != 24 && !partial) continue;
    std::string hex = name.substr(0, 24);
    if (hex.find_first_not_of("0123456789ABCDEF") != std::string::npos) continue;
    Segment s;
    s.timeline = static_cast<uint32_t>(std::stoul(hex.substr(0, 8), nullptr, 16));
    s.number = std::stoull(hex.substr(8, 8), nullptr, 16) * per_id + std::stoull(hex.substr(16, 8), nullptr, 16);
    s.partial = partial;
    s.file = name;
    s.mtime_us = mtime_us(it->path());
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const Segment& a, const Segment& b) {
    return std::tie(a.timeline, a.number, a.partial) < std::tie(b.timeline, b.number, b.partial);
  });
  return out;
}

std::string segment_file_name(uint32_t timeline, uint64_t number, uint64_t segment_size) {
  const uint64_t per_id = 0x100000000ull / segment_size;
  char name[32];
  snprintf(name, sizeof name, "%08X%08X%08X", timeline, static_cast<unsigned>(number / per_id),
           static_cast<unsigned>(number % per_id));
  return name;
}

std::optional<uint64_t> parse_lsn(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
  try {
    size_t used_hi = 0, used_lo = 0;
    uint64_t hi = std::stoull(text.substr(0, slash), &used_hi, 16);
    uint64_t lo = std::stoull(text.substr(slash + 1), &used_lo, 16);
    if (used_hi != slash || used_lo != text.size() - slash - 1) return std::nullopt;
    return (hi << 32) | lo;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<uint64_t> first_gap(const std::vector<Segment>& segments, uint64_t from) {
  // After a restore's timeline switch, the older timeline's segments lead up to the switch and the
  // newer one's go on from there (adopt_timeline set the undone rest aside): a number counts as
  // present when a complete segment of any timeline holds it.
  std::set<uint64_t> complete;
  uint64_t newest = 0;
  for (const auto& s : segments) {
    newest = std::max(newest, s.number);
    if (!s.partial) complete.insert(s.number);
  }
  // The newest segment may be a .partial (streaming into it); one before it was never completed.
  for (uint64_t n = from; n < newest; ++n) {
    if (!complete.count(n)) return n;
  }
  return std::nullopt;
}

std::string tool_path(const std::string& tool, int server_major) {
  return backup::find_pg_tool(tool, server_major).path;
}

std::map<std::string, std::string> tool_env(const DatabaseConfig& db) {
  auto env = minimal_environment(db.libpq_env());
  env["TZ"] = "UTC";
  return env;
}

ProcessResult run_tool(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                       std::chrono::seconds timeout) {
  ProcessOptions o;
  o.argv = argv;
  o.env = env;
  o.run_as = postgres_run_as();
  o.cwd = "/";
  std::mutex m;
  std::condition_variable cv;
  pid_t pid = 0;
  bool finished = false, timed_out = false;
  std::thread watchdog([&] {
    std::unique_lock lock(m);
    if (!cv.wait_for(lock, timeout, [&] { return finished; }) && pid > 0) {
      timed_out = true;
      kill(pid, SIGKILL);
    }
  });
  std::string out;
  ProcessResult r;
  try {
    r = run_process_streaming(
        o, [&](std::string_view chunk) { if (out.size() < (1u << 20)) out.append(chunk); },
        [&](pid_t started) {
          std::lock_guard lock(m);
          pid = started;
        });
  } catch (...) {
    {
      std::lock_guard lock(m);
      finished = true;
    }
    cv.notify_all();
    watchdog.join();
    throw;
  }
  {
    std::lock_guard lock(m);
    finished = true;
  }
  cv.notify_all();
  watchdog.join();
  r.out = std::move(out);
  if (timed_out) {
    throw Error(ErrorKind::kUnavailable,
                fs::path(argv[0]).filename().string() + " did not finish within " +
                    std::to_string(timeout.count()) + " s and was stopped");
  }
  return r;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string stamp(std::chrono::system_clock::time_point when) {
  time_t t = std::chrono::system_clock::to_time_t(when);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace keepsake::pitr
