#include "files/files_service.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "backup/backup_verifications.h"
#include "common/error.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "common/utc_time.h"
#include "files/files_internal.h"
#include "storage/layout.h"

namespace keepsake::files {
namespace fs = std::filesystem;
namespace {

constexpr const char* kRemoteSchemes[] = {"sftp:", "rest:", "s3:",    "b2:",
                                          "azure:", "gs:",  "swift:", "rclone:"};
// Passed through to restic: its own settings and the remote backends' credentials.
constexpr const char* kPassedPrefixes[] = {"RESTIC_", "AWS_", "B2_", "AZURE_", "GOOGLE_",
                                           "OS_",     "ST_",  "RCLONE_"};
constexpr const char* kPassedNames[] = {"HOME", "SSH_AUTH_SOCK", "TMPDIR"};

// Before several repositories: one line, the repository, without options.
std::string legacy_repository_file(const FilesSettings& s) { return files_dir(s) + "/repository"; }
std::string repositories_file(const FilesSettings& s) { return files_dir(s) + "/repositories.json"; }
std::string password_file(const FilesSettings& s) { return files_dir(s) + "/restic-password"; }

bool is_remote(const std::string& repo) {
  return std::any_of(std::begin(kRemoteSchemes), std::end(kRemoteSchemes),
                     [&](const char* scheme) { return repo.rfind(scheme, 0) == 0; });
}

std::vector<Repository> saved_repositories(const FilesSettings& s) {
  std::vector<Repository> out;
  std::ifstream json_in(repositories_file(s));
  if (json_in) {
    auto j = nlohmann::json::parse(json_in, nullptr, false);
    if (!j.is_array()) throw Error(ErrorKind::kCorrupt, repositories_file(s) + " is no JSON list");
    for (const auto& r : j) {
      out.push_back({r.value("repository", ""), r.value("options", std::vector<std::string>{})});
    }
    return out;
  }
  std::ifstream in(legacy_repository_file(s));
  std::string repo;
  if (in && std::getline(in, repo) && !repo.empty()) out.push_back({repo, {}});
  return out;
}

void save_repositories(const FilesSettings& s, const std::vector<Repository>& repositories) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : repositories) j.push_back({{"repository", r.url}, {"options", r.options}});
  auto path = repositories_file(s);
  {
    std::ofstream out(path + ".new", std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) throw Error(ErrorKind::kIo, "cannot write " + path);
  }
  fs::rename(path + ".new", path);
  fs::remove(legacy_repository_file(s));
}

Repository repository_of(const FilesSettings& s) {
  auto saved = saved_repositories(s);
  if (s.repository.empty()) {
    if (!saved.empty()) return saved.front();
    throw Error(ErrorKind::kNotFound, "no restic repository configured",
                "create one with `keepsake files init --repo <path or restic URL>`, or pass --repo");
  }
  Repository given{s.repository, s.options};
  if (given.options.empty()) {
    for (const auto& r : saved) {
      if (r.url == given.url) given.options = r.options;
    }
  }
  return given;
}

bool has_env(const FilesSettings& s, const char* name) {
  auto it = s.env.find(name);
  return it != s.env.end() && !it->second.empty();
}

bool user_gave_password(const FilesSettings& s) {
  return has_env(s, "RESTIC_PASSWORD_FILE") || has_env(s, "RESTIC_PASSWORD");
}

std::map<std::string, std::string> restic_environment(const FilesSettings& s) {
  std::map<std::string, std::string> passed;
  for (const auto& [name, value] : s.env) {
    bool pass = std::any_of(std::begin(kPassedPrefixes), std::end(kPassedPrefixes),
                            [&](const char* p) { return name.rfind(p, 0) == 0; }) ||
                std::find(std::begin(kPassedNames), std::end(kPassedNames), name) !=
                    std::end(kPassedNames);
    if (pass) passed[name] = value;
  }
  if (!passed.count("RESTIC_CACHE_DIR")) passed["RESTIC_CACHE_DIR"] = files_dir(s) + "/cache";
  if (!user_gave_password(s)) {
    if (!fs::exists(password_file(s))) {
      throw Error(ErrorKind::kUnauthorized, "no password for the restic repository",
                  "set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD, or run `keepsake files init`, "
                  "which creates one");
    }
    passed["RESTIC_PASSWORD_FILE"] = password_file(s);
  }
  return minimal_environment(passed);
}

void refuse_inside_media(const FilesSettings& s, const std::string& repo) {
  auto path = local_repository_path(repo);
  if (!path) return;
  auto absolute = fs::weakly_canonical(fs::absolute(*path)).string();
  auto media = fs::weakly_canonical(s.media_location).string();
  if (absolute == media || absolute.rfind(media + "/", 0) == 0) {
    throw Error(ErrorKind::kInvalidArgument,
                "the restic repository " + repo + " lies inside the media location " + media,
                "a backup on the disk it protects is no backup: choose a path on another disk, "
                "or a remote repository (sftp:, rest:, s3:, ...)");
  }
}

// 32 random bytes as hex, written to a new file with mode 0600.
void create_password_file(const std::string& path) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw Error(ErrorKind::kInternal, "no random bytes for the restic password");
  }
  std::string hex;
  static const char* digits = "0123456789abcdef";
  for (unsigned char b : bytes) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  hex += "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::kIo, "cannot create " + path + ": " + std::strerror(errno));
  bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ::close(fd);
  if (!written) throw Error(ErrorKind::kIo, "cannot write " + path);
}

// Adds `repo` to the saved repositories, or replaces the saved one with its URL.
void save_repository(const FilesSettings& s, const Repository& repo) {
  auto saved = saved_repositories(s);
  auto same = std::find_if(saved.begin(), saved.end(), [&](const Repository& r) { return r.url == repo.url; });
  if (same == saved.end()) {
    saved.push_back(repo);
  } else {
    *same = repo;
  }
  save_repositories(s, saved);
}

using PairedBackup = DatabaseBackupRef;

// The newest routine database backup that verifies completely and matches its .sha256 sidecar.
// One whose recorded verification still holds (same size, mtime and sidecar) is not read again;
// a new verification is recorded (keepsake.backup_verification).
std::optional<PairedBackup> newest_verified_backup(db::Connection& conn,
                                                   const std::string& media_location) {
  auto folder = backup::backups_folder(media_location);
  for (const auto& b : backup::list_backups(folder)) {
    auto sidecar = backup::read_sha256_sidecar(folder + "/" + b.filename);
    if (!backup::is_routine_backup_name(b.filename) || !sidecar) continue;
    if (auto sha256 = backup::still_verified(conn, folder, b.filename)) {
      return PairedBackup{b.filename, *sha256};
    }
    if (backup::verify_and_record(conn, folder, b.filename).ok) return PairedBackup{b.filename, *sidecar};
  }
  return std::nullopt;
}

PairedBackup make_database_backup(const DatabaseConfig& db, const std::string& media_location) {
  backup::JobOptions job;
  job.backup.db = db;
  job.backup.media_location = media_location;
  job.lock_timeout = std::chrono::seconds(60);
  auto made = backup::run_database_backup_job(job);
  if (!made) throw Error(ErrorKind::kConflict, "the database backup before the snapshot was skipped");
  return {made->filename, made->sha256};
}

// The database backup the snapshot pairs with: one made now when asked or when none verifies.
std::optional<PairedBackup> pair_database_backup(db::Connection& conn, const FilesSettings& s,
                                                 const BackupOptions& o, bool& made) {
  if (o.paired_database_backup) return o.paired_database_backup;
  std::optional<PairedBackup> paired;
  if (!o.new_database_backup) paired = newest_verified_backup(conn, s.media_location);
  if (!paired && o.database) {
    paired = make_database_backup(*o.database, s.media_location);
    made = true;
  }
  return paired;
}

std::string scan_report_path(const FilesSettings& s, const std::string& snapshot_id) {
  return files_dir(s) + "/scans/" + snapshot_id + ".json";
}

void save_scan_report(const FilesSettings& s, const storage::ScanReport& report,
                      const std::string& snapshot_id) {
  fs::create_directories(files_dir(s) + "/scans");
  std::ofstream out(scan_report_path(s, snapshot_id), std::ios::trunc);
  report.write_json(out, s.media_location);
}

std::vector<std::string> scan_tags(const storage::ScanSummary& scan,
                                   const std::optional<PairedBackup>& db) {
  std::vector<std::string> tags{
      kDbTag + (db ? db->filename : std::string("none")),
      "keepsake-missing-irreplaceable:" + std::to_string(scan.irreplaceable.count),
      "keepsake-missing-regenerable:" + std::to_string(scan.regenerable.count),
      "keepsake-orphans:" + std::to_string(scan.orphans)};
  if (db) tags.push_back(kDbSha256Tag + db->sha256);
  return tags;
}

// restic backup --json prints one JSON object a line: the summary, and errors for unreadable files.
void read_backup_output(const std::string& out, BackupResult& result, std::string& short_id) {
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    auto type = j.value("message_type", "");
    if (type == "summary") {
      result.files_new = j.value("files_new", 0);
      result.files_changed = j.value("files_changed", 0);
      result.files_unmodified = j.value("files_unmodified", 0);
      result.bytes_processed = j.value("total_bytes_processed", int64_t{0});
      result.bytes_added = j.value("data_added", int64_t{0});
      short_id = j.value("snapshot_id", "");
    } else if (type == "error") {
      result.unreadable.push_back(j.value("item", ""));
    }
  }
}

}  // namespace

std::string files_dir(const FilesSettings& s) { return s.data_dir + "/files"; }

std::string configured_repository(const FilesSettings& settings) { return repository_of(settings).url; }

std::vector<Repository> configured_repositories(const FilesSettings& settings) {
  if (!settings.repository.empty()) return {repository_of(settings)};
  auto saved = saved_repositories(settings);
  if (saved.empty()) repository_of(settings);  // throws the kNotFound with its hint
  return saved;
}

FilesSettings for_repository(FilesSettings settings, const Repository& repository) {
  settings.repository = repository.url;
  settings.options = repository.options;
  return settings;
}

std::optional<std::string> local_repository_path(const std::string& repository) {
  if (is_remote(repository)) return std::nullopt;
  return repository.rfind("local:", 0) == 0 ? repository.substr(6) : repository;
}

std::string shown_repository(std::string repository) {
  auto scheme = repository.find("://");
  auto at = repository.find('@', scheme == std::string::npos ? 0 : scheme);
  if (scheme != std::string::npos && at != std::string::npos && repository.find(':', scheme + 3) < at) {
    repository.replace(scheme + 3, at - scheme - 3, "***");
  }
  return repository;
}

FilesSettings files_settings_of(const Config& config) {
  return {config.media_location, config.data_dir, "", process_environment(), {}};
}

Restic restic_for(const FilesSettings& s, const std::string& cwd) {
  auto repository = repository_of(s);
  return Restic(repository.url, repository.options, restic_environment(s), cwd);
}

Snapshot snapshot_from(const nlohmann::json& j) {
  Snapshot s;
  s.id = j.value("id", "");
  s.short_id = j.value("short_id", s.id.substr(0, 8));
  s.time = j.value("time", "");
  s.paths = j.value("paths", std::vector<std::string>{});
  s.tags = j.value("tags", std::vector<std::string>{});
  for (const auto& t : s.tags) {
    if (t.rfind(kDbTag, 0) == 0) s.db_backup = t.substr(std::string(kDbTag).size());
  }
  return s;
}

bool same_content(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::file_size(a, ec) != fs::file_size(b, ec) || ec) return false;
  std::ifstream x(a, std::ios::binary), y(b, std::ios::binary);
  std::vector<char> bx(1 << 20), by(1 << 20);
  while (x && y) {
    x.read(bx.data(), static_cast<std::streamsize>(bx.size()));
    y.read(by.data(), static_cast<std::streamsize>(by.size()));
    if (x.gcount() != y.gcount() || !std::equal(bx.begin(), bx.begin() + x.gcount(), by.begin())) {
      return false;
    }
  }
  return true;
}

void copy_into_place(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  auto temporary = to.string() + ".keepsake-restore";
  fs::copy_file(from, temporary, fs::copy_options::overwrite_existing);
  fs::rename(temporary, to);
}

std::string fresh_staging(const FilesSettings& s, const std::string& name) {
  auto dir = files_dir(s) + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const std::vector<std::string>& default_folders() {
  static const std::vector<std::string> folders{"library", "upload", "profile", "backups"};
  return folders;
}

const std::vector<std::string>& regenerable_folders() {
  static const std::vector<std::string> folders{"thumbs", "encoded-video"};
  return folders;
}

InitResult init_repository(const FilesSettings& settings) {
  if (settings.repository.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "`files init` needs --repo <path or restic URL>");
  }
  refuse_inside_media(settings, settings.repository);
  fs::create_directories(files_dir(settings));
  InitResult result{settings.repository, std::nullopt};
  if (!user_gave_password(settings) && !fs::exists(password_file(settings))) {
    create_password_file(password_file(settings));
    result.created_password_file = password_file(settings);
  }
  restic_for(settings).run({"init", "--json"});
  save_repository(settings, {settings.repository, settings.options});
  return result;
}

namespace {

// restic backup, reporting its percent done when asked (status lines, once a second).
ProcessResult run_restic_backup(const FilesSettings& settings, std::vector<std::string> args,
                                const BackupOptions& options) {
  auto with_status = settings;
  if (options.progress) {
    with_status.env["RESTIC_PROGRESS_FPS"] = "1";
  } else {
    args.insert(args.begin() + 2, "--quiet");
  }
  return restic_for(with_status, settings.media_location)
      .run_streaming(
          args, {0, 3},
          [&](const std::string& line) {
            if (!options.progress) return;
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object() && j.value("message_type", "") == "status") {
              options.progress("snapshot", 100 * j.value("percent_done", 0.0));
            }
          },
          [] { fault::point("files.backup.restic-running"); });
}

// The snapshot files of a local repository (their names are the snapshots' full ids); empty for
// a remote one.
std::set<std::string> local_snapshot_files(const FilesSettings& settings) {
  std::set<std::string> ids;
  auto path = local_repository_path(repository_of(settings).url);
  std::error_code ec;
  if (path) {
    for (const auto& e : fs::directory_iterator(fs::path(*path) / "snapshots", ec)) {
      ids.insert(e.path().filename().string());
    }
  }
  return ids;
}

// The snapshot restic just made with these tags, known by its short id. A local repository names
// its snapshot files by their full id, so no second restic run (and key derivation) is needed
// there.
Snapshot made_snapshot(const FilesSettings& settings, const std::string& short_id,
                       const std::vector<std::string>& tags, const std::vector<std::string>& folders) {
  for (const auto& id : local_snapshot_files(settings)) {
    if (id.rfind(short_id, 0) != 0) continue;
    nlohmann::json j{{"id", id}, {"short_id", short_id}, {"time", iso8601_utc()}, {"tags", tags}};
    for (const auto& f : folders) j["paths"].push_back(settings.media_location + "/" + f);
    return snapshot_from(j);
  }
  for (const auto& s : read_snapshots(settings, {short_id})) {
    if (s.id.rfind(short_id, 0) == 0) return s;
  }
  return {};
}

void announce(const BackupOptions& options, const char* phase) {
  if (options.progress) options.progress(phase, -1);
}

std::vector<std::string> backup_args(const std::vector<std::string>& tags,
                                     const std::vector<std::string>& folders) {
  std::vector<std::string> args{"backup", "--json", "--host", kSnapshotHost};
  for (const auto& tag : tags) args.insert(args.end(), {"--tag", tag});
  args.push_back("--");
  args.insert(args.end(), folders.begin(), folders.end());
  return args;
}

// restic's summary of a finished backup: fills the counts and unreadable files of `result`;
// returns the snapshot's short id (throws when restic reported none).
std::string finished_backup(const ProcessResult& r, BackupResult& result) {
  std::string short_id;
  read_backup_output(r.out, result, short_id);
  if (short_id.empty()) throw Error(ErrorKind::kIo, "restic backup reported no snapshot", r.err);
  return short_id;
}

// restic backup into the one repository of `settings`, with its final tags: fills the snapshot,
// counts and unreadable files of `result`.
void snapshot_into(const FilesSettings& settings, const std::vector<std::string>& tags,
                   const BackupOptions& options, BackupResult& result) {
  auto r = run_restic_backup(settings, backup_args(tags, result.folders), options);  // 3: some unreadable
  fault::point("files.backup.snapshot-written");
  result.snapshot = made_snapshot(settings, finished_backup(r, result), tags, result.folders);
  if (result.snapshot.id.empty()) throw Error(ErrorKind::kIo, "restic made no snapshot it can list");
}

constexpr int kTagAttempts = 5;

// Sets the tags of the pending snapshot `short_id` (restic tag writes it again under a new id,
// recording the old one as "original") and returns it as it is now. restic tag needs the
// repository to itself: a lock left by a killed restic is removed (`unlock` removes only those)
// and the tag tried again, for up to kTagAttempts seconds; a live lock held longer is thrown
// (kConflict).
Snapshot tagged(const FilesSettings& settings, const std::string& short_id,
                const std::vector<std::string>& tags, const std::vector<std::string>& folders) {
  std::vector<std::string> args{"tag"};
  for (const auto& tag : tags) args.insert(args.end(), {"--set", tag});
  args.insert(args.end(), {"--", short_id});
  auto before = local_snapshot_files(settings);
  auto restic = restic_for(settings);
  for (int attempt = 1;; ++attempt) {
    try {
      restic.run(args);
      break;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kConflict || attempt == kTagAttempts) throw;
    }
    if (attempt == 1) {
      restic.run({"unlock"});
    } else {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  std::vector<std::string> added;
  for (const auto& id : local_snapshot_files(settings)) {
    if (!before.count(id)) added.push_back(id);
  }
  if (added.size() == 1) return made_snapshot(settings, added.front().substr(0, 8), tags, folders);
  auto r = restic_for(settings).run({"--no-lock", "snapshots", "--json", "--host", kSnapshotHost});
  auto all = nlohmann::json::parse(r.out, nullptr, false);
  if (all.is_array()) {
    for (const auto& j : all) {
      if (j.value("original", "").rfind(short_id, 0) == 0) return snapshot_from(j);
    }
  }
  throw Error(ErrorKind::kIo, "restic tag left no snapshot of " + short_id + " to find");
}

// The pending snapshot `short_id` with its tags: tagged, or, when another restic holds the
// repository longer than the tagging waits, made again with them (the pending one stays, no
// library point). Fills result.snapshot; this run's counts stay the first restic run's.
void give_tags(const FilesSettings& settings, const std::string& short_id,
               const std::vector<std::string>& tags, const BackupOptions& options,
               BackupResult& result) {
  try {
    result.snapshot = tagged(settings, short_id, tags, result.folders);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kConflict) throw;
    spdlog::warn("Files backup: another restic holds {}, so snapshot {} stays pending (no library "
                 "point); snapshotting again with its tags",
                 shown_repository(repository_of(settings).url), short_id);
    BackupResult again = result;
    snapshot_into(settings, tags, options, again);
    result.snapshot = again.snapshot;
  }
}

// Waits for a thread when its scope ends, however it ends.
class JoinedThread {
 public:
  explicit JoinedThread(std::function<void()> body) : thread_(std::move(body)) {}
  ~JoinedThread() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  JoinedThread(const JoinedThread&) = delete;
  JoinedThread& operator=(const JoinedThread&) = delete;

 private:
  std::thread thread_;
};

// The first repository's snapshot, made beside the database-vs-disk scan (whose counts restic
// cannot know when it starts): restic runs in a thread with the pending tag only, while the scan
// runs here on `conn`; once both are done the snapshot gets its tags. A run that stops before
// that leaves a pending snapshot: it names no database backup, so it is no library point.
// restic's failure is returned (the scan's report is still complete); the scan's is thrown.
std::exception_ptr snapshot_beside_scan(db::Connection& conn, const FilesSettings& settings,
                                        const std::optional<PairedBackup>& paired,
                                        const BackupOptions& options, storage::ScanReport& report,
                                        BackupResult& result) {
  auto args = backup_args({kPendingTag}, result.folders);
  ProcessResult r;
  std::exception_ptr restic_failure;
  JoinedThread restic([&] {
    try {
      r = run_restic_backup(settings, args, options);
    } catch (...) {
      restic_failure = std::current_exception();
    }
  });
  storage::scan_storage(conn, storage::StorageLayout(settings.media_location), report);
  result.scan = report.summary;
  fault::point("files.backup.scanned");
  restic.join();
  if (restic_failure) return restic_failure;
  fault::point("files.backup.snapshot-written");
  try {
    give_tags(settings, finished_backup(r, result), scan_tags(report.summary, paired), options, result);
  } catch (const Error&) {
    return std::current_exception();
  }
  return nullptr;
}

// The media folders a backup covers that exist; kNotFound when none does.
std::vector<std::string> folders_to_back_up(const FilesSettings& settings, const BackupOptions& options) {
  auto wanted = default_folders();
  if (options.include_regenerable) {
    wanted.insert(wanted.end(), regenerable_folders().begin(), regenerable_folders().end());
  }
  std::vector<std::string> folders;
  for (const auto& f : wanted) {
    if (fs::is_directory(settings.media_location + "/" + f)) folders.push_back(f);
  }
  if (folders.empty()) {
    throw Error(ErrorKind::kNotFound, "nothing to back up under " + settings.media_location,
                "none of " + std::to_string(wanted.size()) + " media folders exists");
  }
  return folders;
}

}  // namespace

bool BackupResult::some_failed() const {
  return std::any_of(repositories.begin(), repositories.end(),
                     [](const RepositorySnapshot& r) { return !r.error.empty(); });
}

BackupResult backup_files(db::Connection& conn, const FilesSettings& settings,
                          const BackupOptions& options) {
  auto repositories = configured_repositories(settings);
  for (const auto& r : repositories) restic_for(for_repository(settings, r));  // no password: fail before the scan
  BackupResult result;
  announce(options, "database");
  auto paired = pair_database_backup(conn, settings, options, result.database_backup_made);
  result.folders = folders_to_back_up(settings, options);
  announce(options, "snapshot");
  storage::ScanReport report;
  auto primary_failure = snapshot_beside_scan(conn, for_repository(settings, repositories.front()), paired,
                                              options, report, result);
  std::exception_ptr first_failure;
  for (const auto& repository : repositories) {
    auto one = for_repository(settings, repository);
    RepositorySnapshot made{shown_repository(repository.url), repository};
    bool primary = &repository == &repositories.front();
    BackupResult later = result;
    auto& into = primary || result.snapshot.id.empty() ? result : later;
    try {
      if (!primary) {
        snapshot_into(one, scan_tags(report.summary, paired), options, into);
      } else if (primary_failure) {
        std::rethrow_exception(primary_failure);
      }
      save_scan_report(one, report, into.snapshot.id);
      fault::point("files.backup.recorded");
      made.snapshot = into.snapshot;
    } catch (const Error& e) {
      if (!first_failure) first_failure = std::current_exception();
      made.error = e.full_message();
      made.error_kind = e.kind();
      into.unreadable.clear();
    }
    result.repositories.push_back(std::move(made));
  }
  if (result.snapshot.id.empty()) std::rethrow_exception(first_failure);
  return result;
}

bool repository_configured(const FilesSettings& settings) {
  try {
    repository_of(settings);
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return false;
    throw;
  }
}

std::vector<Snapshot> list_snapshots(const FilesSettings& settings) { return read_snapshots(settings, {}); }

FilesSettings repository_holding(const FilesSettings& settings, const std::string& snapshot) {
  if (!settings.repository.empty() || snapshot == "latest") {
    return for_repository(settings, repository_of(settings));
  }
  std::string unreadable;
  for (const auto& repository : configured_repositories(settings)) {
    auto one = for_repository(settings, repository);
    try {
      for (const auto& s : list_snapshots(one)) {
        if (!snapshot.empty() && s.id.rfind(snapshot, 0) == 0) return one;
      }
    } catch (const Error& e) {
      unreadable += (unreadable.empty() ? "" : "; ") + shown_repository(repository.url) + ": " +
                    e.full_message();
    }
  }
  throw Error(ErrorKind::kNotFound, "no saved repository holds the snapshot " + snapshot,
              unreadable.empty() ? "`keepsake files list` shows the snapshots of every saved repository"
                                 : "these could not be read: " + unreadable);
}

std::vector<Repository> remove_repository(const FilesSettings& settings) {
  if (settings.repository.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "`files remove` needs --repo <a saved repository>");
  }
  auto saved = saved_repositories(settings);
  auto it = std::find_if(saved.begin(), saved.end(),
                         [&](const Repository& r) { return r.url == settings.repository; });
  if (it == saved.end()) {
    throw Error(ErrorKind::kNotFound,
                "the repository " + shown_repository(settings.repository) + " is not saved",
                "`keepsake files list` names the saved repositories");
  }
  saved.erase(it);
  save_repositories(settings, saved);
  return saved;
}

std::vector<Snapshot> read_snapshots(const FilesSettings& settings, const std::vector<std::string>& ids) {
  // Without a lock: a listing (the web page's status, polled) must never hold the repository
  // against the exclusive lock of a snapshot's tagging, a retention or a check.
  std::vector<std::string> args{"--no-lock", "snapshots", "--json", "--"};
  args.insert(args.end(), ids.begin(), ids.end());
  auto r = restic_for(settings).run(args);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) throw Error(ErrorKind::kIo, "restic snapshots printed no JSON list");
  std::vector<Snapshot> out;
  for (const auto& s : j) out.push_back(snapshot_from(s));
  std::sort(out.begin(), out.end(),
            [](const Snapshot& a, const Snapshot& b) { return a.time > b.time; });
  return out;
}

CheckResult check_repository(const FilesSettings& settings, const std::string& read_data) {
  std::vector<std::string> args{"check"};
  if (!read_data.empty()) args.push_back("--read-data-subset=" + read_data);
  auto restic = restic_for(settings);
  try {
    restic.run({"unlock"});  // only stale locks (a killed run's): check needs an exclusive lock
    auto r = restic.run(args, {0, 1});
    bool damaged = r.out.find("Fatal: repository contains errors") != std::string::npos ||
                   r.err.find("Fatal: repository contains errors") != std::string::npos;
    if (r.exit_code == 1 && !damaged) throw_restic_failure(restic.repository(), "check", r);
    bool ok = r.exit_code == 0;
    record_check(settings, read_data, ok, ok ? "" : "restic check found errors in the repository");
    return {ok, r.out + r.err};
  } catch (const Error& e) {
    record_check(settings, read_data, false, e.full_message());
    throw;
  }
}

}  // namespace keepsake::files
