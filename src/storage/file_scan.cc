#include "storage/file_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "db/cursor.h"
#include "storage/file_kind.h"
#include "storage/scan_record.h"

namespace keepsake::storage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::FILE* open_spool() {
  std::FILE* f = std::tmpfile();
  if (!f) throw Error(ErrorKind::kIo, "cannot create a temporary file for the scan report");
  return f;
}

void spool(std::FILE* f, const json& j) {
  auto line = j.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
    throw Error(ErrorKind::kIo, "cannot write the scan report's temporary file (disk full?)");
  }
}

// Calls fn for each line (at most `limit` of them) of a spool.
void for_each_line(std::FILE* f, const std::function<void(const json&)>& fn,
                   int64_t limit = INT64_MAX) {
  std::fflush(f);
  std::rewind(f);
  std::string line;
  int64_t read = 0;
  for (int c = std::fgetc(f); c != EOF && read < limit; c = std::fgetc(f)) {
    if (c != '\n') {
      line.push_back(static_cast<char>(c));
      continue;
    }
    fn(json::parse(line));
    line.clear();
    ++read;
  }
  std::fseek(f, 0, SEEK_END);
}

// Yields the files below some root folders in byte order of their full paths. Entries of one
// folder are sorted with "/" appended to folder names, which makes depth-first order equal to
// byte order ("a.b" < "a/b"). Holds one sorted listing per level.
class SortedWalker {
 public:
  explicit SortedWalker(std::vector<std::string> roots) {
    Level top;
    for (auto& r : roots) top.entries.push_back({r + "/", true});
    std::sort(top.entries.begin(), top.entries.end());
    top.prefix = "";
    stack_.push_back(std::move(top));
  }

  std::optional<std::string> next() {
    while (!stack_.empty()) {
      auto& level = stack_.back();
      if (level.index >= level.entries.size()) {
        stack_.pop_back();
        continue;
      }
      const auto& [key, is_dir] = level.entries[level.index++];
      std::string path = level.prefix + key;
      if (!is_dir) return path;
      push_dir(path);
    }
    return std::nullopt;
  }

 private:
  struct Level {
    std::string prefix;  // ends with '/'
    std::vector<std::pair<std::string, bool>> entries;
    size_t index = 0;
  };

  void push_dir(const std::string& dir_with_slash) {
    Level level;
    level.prefix = dir_with_slash;
    std::error_code ec;
    for (fs::directory_iterator it(dir_with_slash, ec), end; !ec && it != end; it.increment(ec)) {
      auto name = it->path().filename().string();
      bool dir = it->is_directory(ec) && !it->is_symlink(ec);
      if (dir) {
        level.entries.push_back({name + "/", true});
      } else if (name != ".immich" || stack_.size() != 1) {
        level.entries.push_back({name, false});
      }
    }
    if (ec && ec != std::errc::no_such_file_or_directory) {
      spdlog::warn("Cannot list {}: {}", dir_with_slash, ec.message());
    }
    std::sort(level.entries.begin(), level.entries.end());
    stack_.push_back(std::move(level));
  }

  std::vector<Level> stack_;
};

// Each path with the kind of file it holds (file_kind.h): asset_file rows by their type.
constexpr const char* kRowsSql = R"sql(
  SELECT "path", "col", "id", "external", "kind" FROM (
    SELECT "originalPath" AS "path", 'asset.originalPath' AS "col", "id"::text AS "id",
           "isExternal" AS "external", 'original' AS "kind" FROM "asset"
    UNION ALL SELECT "path", 'asset_file.path', "id"::text, false, "type" FROM "asset_file"
    UNION ALL SELECT "thumbnailPath", 'person.thumbnailPath', "id"::text, false,
                     'person_thumbnail' FROM "person" WHERE "thumbnailPath" <> ''
    UNION ALL SELECT "profileImagePath", 'user.profileImagePath', "id"::text, false,
                     'profile_image' FROM "user" WHERE "profileImagePath" <> ''
  ) p ORDER BY "path" COLLATE "C")sql";

constexpr const char* kTotalSql = R"sql(
  SELECT (SELECT count(*) FROM "asset") + (SELECT count(*) FROM "asset_file")
       + (SELECT count(*) FROM "person" WHERE "thumbnailPath" <> '')
       + (SELECT count(*) FROM "user" WHERE "profileImagePath" <> ''))sql";

bool exists_on_disk(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> scanned_roots(const StorageLayout& layout) {
  std::vector<std::string> roots;
  for (auto f : kStorageFolders) {
    if (is_scanned_folder(f)) roots.push_back(layout.base_folder(f));
  }
  return roots;
}

// Merges the sorted rows with the sorted walk.
class Merger {
 public:
  Merger(const StorageLayout& layout, ScanReport& report)
      : layout_(layout), report_(report), walker_(scanned_roots(layout)) {
    advance();
  }

  void row(const std::string& path, const std::string& column, const std::string& id, bool external,
           const std::string& kind) {
    ++report_.summary.rows;
    while (disk_ && *disk_ < path) {
      report_.add_orphan(*disk_);
      advance();
    }
    bool found = path == last_match_;
    if (!found && disk_ && *disk_ == path) {
      found = true;
      last_match_ = path;
      advance();
    }
    if (!external && !layout_.contains(path)) report_.add_foreign(column, id, path);
    if (!found && !exists_on_disk(path)) report_.add_missing(kind, column, id, path);
  }

  void finish() {
    while (disk_) {
      report_.add_orphan(*disk_);
      advance();
    }
  }

 private:
  void advance() {
    disk_ = walker_.next();
    if (disk_) ++report_.summary.files;
  }

  const StorageLayout& layout_;
  ScanReport& report_;
  SortedWalker walker_;
  std::optional<std::string> disk_;
  std::string last_match_;
};

bool is_inside(const std::string& path, const std::string& folder) {
  return path == folder || path.starts_with(folder + "/");
}

void move_one(const std::string& from, const std::string& to) {
  fs::create_directories(fs::path(to).parent_path());
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec == std::errc::cross_device_link) {
    fs::copy_file(from, to, fs::copy_options::none);
    fs::remove(from);
  } else if (ec) {
    throw fs::filesystem_error("rename", from, to, ec);
  }
}

// "4 (original 3, sidecar 1)"
std::string count_with_kinds(const MissingCount& m) {
  std::string out = std::to_string(m.count);
  std::string sep = " (";
  for (const auto& [kind, n] : m.by_kind) {
    out += sep + kind + " " + std::to_string(n);
    sep = ", ";
  }
  return m.by_kind.empty() ? out : out + ")";
}

using ordered = nlohmann::ordered_json;

// Writes `"name":[...]` from a spool, one element per line.
void write_array(std::ostream& out, const char* name, std::FILE* f) {
  out << "\"" << name << "\":[";
  bool first = true;
  for_each_line(f, [&](const json& j) {
    out << (first ? "" : ",") << j.dump();
    first = false;
  });
  out << "]";
}

// Writes `"name":{"count":..,"byKind":{..},[extra,]"files":[..]}`.
void write_missing_class(std::ostream& out, const char* name, const MissingCount& m,
                         std::FILE* files, const ordered& extra = ordered::object()) {
  ordered head = {{"count", m.count}, {"byKind", m.by_kind}};
  head.update(extra);
  auto text = head.dump();
  out << "\"" << name << "\":" << text.substr(0, text.size() - 1) << ",";
  write_array(out, "files", files);
  out << "}";
}

ordered jobs_json(const MissingCount& regenerable) {
  ordered jobs = ordered::array();
  for (const auto& j : jobs_for(regenerable.by_kind)) {
    jobs.push_back({{"name", j.job->name}, {"queue", j.job->queue}, {"kinds", j.kinds}});
  }
  return jobs;
}

}  // namespace

ScanReport::ScanReport()
    : irreplaceable_(open_spool()),
      regenerable_(open_spool()),
      orphans_(open_spool()),
      foreign_(open_spool()) {}

ScanReport::~ScanReport() {
  std::fclose(irreplaceable_);
  std::fclose(regenerable_);
  std::fclose(orphans_);
  std::fclose(foreign_);
}

void ScanReport::add_missing(const std::string& kind, const std::string& column,
                             const std::string& id, const std::string& path) {
  bool regenerable = is_regenerable(kind);
  auto& counts = regenerable ? summary.regenerable : summary.irreplaceable;
  ++counts.count;
  ++counts.by_kind[kind];
  spool(regenerable ? regenerable_ : irreplaceable_,
        {{"kind", kind}, {"column", column}, {"id", id}, {"path", path}});
}

void ScanReport::add_orphan(const std::string& path) {
  ++summary.orphans;
  spool(orphans_, {{"path", path}});
}

void ScanReport::add_foreign(const std::string& column, const std::string& id,
                             const std::string& path) {
  ++summary.foreign;
  spool(foreign_, {{"column", column}, {"id", id}, {"path", path}});
}

void ScanReport::for_each_orphan(const std::function<void(const std::string&)>& fn) const {
  for_each_line(orphans_, [&](const json& j) { fn(j["path"].get<std::string>()); });
}

void ScanReport::for_each_finding(int64_t limit,
                                  const std::function<void(const ScanFinding&)>& fn) const {
  auto each = [&](const char* problem, std::FILE* f) {
    for_each_line(
        f,
        [&](const json& j) {
          fn({problem, j.value("kind", ""), j.value("column", ""), j.value("id", ""),
              j["path"].get<std::string>()});
        },
        limit);
  };
  each("missing-irreplaceable", irreplaceable_);
  each("missing-regenerable", regenerable_);
  each("orphan", orphans_);
  each("foreign", foreign_);
}

void ScanReport::write_text(std::ostream& out, const std::string& media_location) const {
  const auto& s = summary;
  out << "Storage scan of " << media_location << "\n"
      << "  rows checked:   " << s.rows << "\n"
      << "  files on disk:  " << s.files << "\n"
      << "  missing files:  " << s.irreplaceable.count + s.regenerable.count << "\n"
      << "    irreplaceable: " << count_with_kinds(s.irreplaceable) << "\n"
      << "    regenerable:   " << count_with_kinds(s.regenerable) << "\n"
      << "  orphan files:   " << s.orphans << "\n"
      << "  foreign paths:  " << s.foreign << "\n";
  if (s.moved || s.not_moved) {
    out << "  orphans moved:  " << s.moved << " (not moved: " << s.not_moved << ")\n";
  }
  auto rows = [&](const char* title, std::FILE* f) {
    out << "\n" << title << ":\n";
    for_each_line(f, [&](const json& j) {
      if (j.contains("kind")) out << "  " << j["kind"].get<std::string>();
      out << "  " << j["column"].get<std::string>() << " " << j["id"].get<std::string>() << " "
          << j["path"].get<std::string>() << "\n";
    });
  };
  if (s.irreplaceable.count) {
    rows(
        "Missing irreplaceable files (the user's own data: restore them from a copy of the "
        "media folder)",
        irreplaceable_);
  }
  if (s.regenerable.count)
    rows("Missing regenerable files (Immich makes them again)", regenerable_);
  if (s.orphans) {
    out << "\nOrphan files (no row references them):\n";
    for_each_orphan([&](const std::string& p) { out << "  " << p << "\n"; });
  }
  if (s.foreign) rows("Foreign paths (rows pointing outside the media location)", foreign_);
  if (s.regenerable.count) out << "\nHint: " << regeneration_hint(s.regenerable.by_kind) << "\n";
}

void ScanReport::write_json(std::ostream& out, const std::string& media_location) const {
  const auto& s = summary;
  ordered head = {
      {"mediaLocation", media_location},
      {"summary",
       {{"rows", s.rows},
        {"files", s.files},
        {"missing",
         {{"irreplaceable", s.irreplaceable.count}, {"regenerable", s.regenerable.count}}},
        {"orphans", s.orphans},
        {"foreign", s.foreign},
        {"moved", s.moved},
        {"notMoved", s.not_moved}}}};
  auto text = head.dump();
  out << text.substr(0, text.size() - 1) << ",\"missing\":{";
  write_missing_class(out, "irreplaceable", s.irreplaceable, irreplaceable_);
  out << ",";
  write_missing_class(out, "regenerable", s.regenerable, regenerable_,
                      {{"jobs", jobs_json(s.regenerable)}});
  out << "},";
  write_array(out, "orphans", orphans_);
  out << ",";
  write_array(out, "foreign", foreign_);
  out << "}\n";
}

bool is_scanned_folder(StorageFolder folder) { return folder != StorageFolder::kBackups; }

void scan_storage(db::Connection& conn, const StorageLayout& layout, ScanReport& report,
                  const ScanOptions& options) {
  ScanProgress progress;
  std::string started_at = conn.exec("SELECT now()::text").text(0, 0);
  progress.rows_total = conn.exec(kTotalSql, {}, "count rows to scan").int64(0, 0);
  db::Transaction tx(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  Merger merger(layout, report);
  int64_t next_report = options.progress_every;
  auto merge_batch = [&](const db::Result& r) {
    for (int i = 0; i < r.rows(); ++i) {
      merger.row(r.text(i, 0), r.text(i, 1), r.text(i, 2), r.boolean(i, 3), r.text(i, 4));
    }
    progress.rows_done = report.summary.rows;
    progress.files_seen = report.summary.files;
    if (options.on_progress && progress.rows_done >= next_report) {
      options.on_progress(progress);
      next_report += options.progress_every;
    }
  };
  db::for_each_batch(conn, "keepsake_scan", kRowsSql, {}, options.fetch_size, "read paths to scan",
                     merge_batch);
  merger.finish();
  tx.commit();
  record_scan(conn, started_at, report, layout);
  if (options.on_progress) {
    progress.rows_done = report.summary.rows;
    progress.files_seen = report.summary.files;
    options.on_progress(progress);
  }
}

void check_orphan_destination(const StorageLayout& layout, const std::string& dir) {
  if (dir.empty() || dir[0] != '/') {
    throw Error(ErrorKind::kInvalidArgument,
                "the orphan folder \"" + dir + "\" must be an absolute path");
  }
  auto normal = fs::path(dir).lexically_normal().string();
  if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  for (const auto& root : scanned_roots(layout)) {
    if (is_inside(normal, root) || is_inside(root, normal)) {
      throw Error(ErrorKind::kInvalidArgument,
                  "the orphan folder \"" + dir + "\" overlaps the scanned folder " + root,
                  "choose a folder outside " + layout.media_location() + "'s managed folders");
    }
  }
}

void move_orphans(const StorageLayout& layout, ScanReport& report, const std::string& dir) {
  check_orphan_destination(layout, dir);
  const auto root = layout.media_location() == "/" ? std::string() : layout.media_location();
  report.for_each_orphan([&](const std::string& path) {
    auto target = fs::path(dir) / path.substr(root.size() + 1);
    try {
      if (fs::exists(target)) throw Error(ErrorKind::kConflict, target.string() + " exists");
      move_one(path, target.string());
      ++report.summary.moved;
    } catch (const std::exception& e) {
      spdlog::warn("Orphan {} not moved: {}", path, e.what());
      ++report.summary.not_moved;
    }
  });
}

}  // namespace keepsake::storage
