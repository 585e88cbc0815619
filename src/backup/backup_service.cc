#include "backup/backup_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <exception>
#include <thread>

#include "backup/backup_files.h"
#include "common/error.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "common/process.h"
#include "config/system_config.h"
#include "db/connection.h"
#include "db/locks.h"
#include "db/server_version.h"
#include "migrations/keepsake_migrations.h"
#include "migrations/schema_verdict.h"

namespace keepsake::backup {
namespace fs = std::filesystem;

KEEPSAKE_MIGRATION(backup0001, "0100-backup-schedule-run", R"sql(
  CREATE TABLE keepsake.backup_schedule_run (
    tick timestamptz PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    backend_pid integer NOT NULL DEFAULT pg_backend_pid()
  );
)sql");

// Other scheduled jobs (the files backup) claim their ticks here too.
KEEPSAKE_MIGRATION(backup0101, "0101-backup-schedule-run-job", R"sql(
  ALTER TABLE keepsake.backup_schedule_run ADD COLUMN job text NOT NULL DEFAULT 'DatabaseBackup';
  ALTER TABLE keepsake.backup_schedule_run DROP CONSTRAINT backup_schedule_run_pkey;
  ALTER TABLE keepsake.backup_schedule_run ADD PRIMARY KEY (job, tick);
)sql");

namespace {

struct DumpTarget {
  std::string version_text;  // SHOW server_version, up to the first space
  int major = 0;
  std::string immich_version;  // the version part of the backup's name
};

DumpTarget check_server(const DatabaseConfig& db) {
  auto conn = db::Connection::open(db);
  auto v = db::read_server_version(*conn);
  if (v.major < 14 || v.major >= 19) {
    std::string text = std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
    spdlog::error("Database Backup Failure: Unsupported PostgreSQL version: {}", text);
    throw Error(ErrorKind::kUnavailable, "Unsupported PostgreSQL version: " + text,
                "backups support PostgreSQL 14 to 18");
  }
  return {v.text.substr(0, v.text.find(' ')), v.major,
          backup_version_string(migrations::recorded_immich_release(*conn))};
}

std::string first_lines(const std::string& text, size_t max_chars = 2000) {
  std::string t = text.substr(0, max_chars);
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

// The exit status of pg_dump as Immich words it, with its stderr (which never holds the password).
void check_dump_exit(const ProcessResult& r, const std::string& tool) {
  if (r.ok()) return;
  std::string status = r.signal ? "killed by signal " + std::to_string(r.signal)
                                : "non-zero exit code (" + std::to_string(r.exit_code) + ")";
  ErrorKind kind = r.err.find("password authentication failed") != std::string::npos
                       ? ErrorKind::kUnauthorized
                       : ErrorKind::kUnavailable;
  throw Error(kind, tool + " " + status + "\n" + first_lines(r.err));
}

class TmpFile {
 public:
  explicit TmpFile(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kBackupFileMode);
    if (fd_ < 0) {
      int e = errno;
      throw Error(e == EEXIST ? ErrorKind::kConflict : ErrorKind::kIo,
                  "cannot create " + path_ + ": " + std::strerror(e));
    }
    make_readable_by_all(fd_, path_);
  }
  ~TmpFile() {
    close_fd();
    if (!kept_) {
      std::error_code ec;
      fs::remove(path_, ec);
      if (ec) spdlog::warn("could not remove {}: {}", path_, ec.message());
    }
  }
  int fd() const { return fd_; }
  void sync_and_close() {
    if (fault::failed("backup.create.fsync") || fsync(fd_) != 0) {
      throw Error(ErrorKind::kIo, "cannot fsync " + path_ + ": " + std::strerror(errno));
    }
    if (close(fd_) != 0) {
      fd_ = -1;
      throw Error(ErrorKind::kIo, "cannot close " + path_ + ": " + std::strerror(errno));
    }
    fd_ = -1;
  }
  void keep() { kept_ = true; }

 private:
  void close_fd() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string path_;
  int fd_ = -1;
  bool kept_ = false;
};

// Verifies the file while it is being written: a thread decompresses it (CRC, length, trailer,
// SHA-256 of the bytes on disk) a little behind the writer, so the check costs almost no time
// after the dump. Stops its thread whatever happens.
class ConcurrentVerifier {
 public:
  explicit ConcurrentVerifier(const std::string& path) : source_(path) {
    thread_ = std::thread([this, path] {
      try {
        DumpFileReader reader(path, [this](uint8_t* buf, size_t max) { return source_.read(buf, max); });
        check_ = verify_gzip(reader);
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  ~ConcurrentVerifier() {
    source_.abort();
    if (thread_.joinable()) thread_.join();
  }
  GrowingFileSource& source() { return source_; }
  // Waits for the verification of the finished file; rethrows what it found.
  GzipCheck result() {
    thread_.join();
    if (error_) std::rethrow_exception(error_);
    return check_;
  }

 private:
  GrowingFileSource source_;
  std::thread thread_;
  GzipCheck check_;
  std::exception_ptr error_;
};

void ensure_folder(const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot create the backups folder " + folder + ": " + ec.message());
}

// Streams pg_dump into the gzip writer; returns when pg_dump exited successfully.
void dump_into(const BackupOptions& o, const PgTool& tool, GzipFileWriter& writer,
               std::chrono::steady_clock::time_point start) {
  ProcessOptions p;
  p.argv = {tool.path, "--clean", "--if-exists"};
  p.env = minimal_environment(o.db.libpq_env());
  BackupProgress progress{"dump", 0, 0, {}};
  auto sink = [&](std::string_view chunk) {
    fault::point("backup.create.write");
    writer.write(chunk);
    if (o.progress) {
      progress.dump_bytes = writer.bytes_in();
      progress.file_bytes = writer.bytes_out();
      progress.elapsed = std::chrono::steady_clock::now() - start;
      o.progress(progress);
    }
  };
  auto result = run_process_streaming(p, sink, o.on_dump_started);
  check_dump_exit(result, "pg_dump");
}

void check_written(const GzipCheck& check, const GzipFileWriter& writer, const std::string& path) {
  auto fail = [&](const std::string& what) {
    return Error(ErrorKind::kCorrupt, "verification of " + path + " failed: " + what);
  };
  if (check.sha256 != writer.sha256_hex()) throw fail("the file on disk differs from what was written");
  if (check.uncompressed_bytes != writer.bytes_in()) throw fail("the decompressed size differs from the dump");
  if (check.members != writer.members()) throw fail("the file holds a different number of gzip members than were written");
  if (!dump_is_complete(check.tail)) throw fail("the dump does not end with pg_dump's completion trailer");
}

// Renames <path>.tmp to <path>; on failure removes the sidecar written for it, which would
// otherwise describe a backup that does not exist.
void rename_into_place(const std::string& path) {
  std::error_code ec;
  if (!fault::failed("backup.create.rename")) fs::rename(path + ".tmp", path, ec);
  else ec.assign(errno, std::generic_category());
  if (!ec) return;
  std::error_code ignored;
  fs::remove(path + ".sha256", ignored);
  throw Error(ErrorKind::kIo, "cannot rename " + path + ".tmp: " + ec.message());
}

// Names carry the time to the second, as Immich's do. A second backup started within the
// same second as the last one waits for the next second rather than failing or overwriting.
// The unfinished `.tmp` of a killed backup also holds its name: it stays until the cleanup
// that follows the next successful backup removes it.
std::string free_backup_name(const std::string& folder, const DumpTarget& target, const std::string& prefix) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto now = std::chrono::system_clock::now();
    std::string name = make_backup_name(now, target.version_text, target.immich_version, prefix);
    fs::path path = fs::path(folder) / name;
    if (!fs::exists(path) && !fs::exists(path.string() + ".tmp")) return name;
    auto next_second = std::chrono::ceil<std::chrono::seconds>(now + std::chrono::milliseconds(1));
    std::this_thread::sleep_until(next_second);
  }
  throw Error(ErrorKind::kConflict, "a backup with this second's name already exists in " + folder +
                                        "; is the system clock standing still?");
}

}  // namespace

BackupResult create_backup(const BackupOptions& o) {
  auto start = std::chrono::steady_clock::now();
  try {
    DumpTarget target = check_server(o.db);
    PgTool tool = find_pg_tool("pg_dump", target.major, o.pg_lib_root);
    std::string folder = backups_folder(o.media_location);
    ensure_folder(folder);
    BackupResult r;
    r.filename = free_backup_name(folder, target, o.prefix);
    r.path = (fs::path(folder) / r.filename).string();
    r.pg_dump = tool.path;
    spdlog::info("Database Backup Starting. Database Version: {}", target.major);
    TmpFile tmp(r.path + ".tmp");
    GzipFileWriter writer(tmp.fd(), r.path + ".tmp", o.engine);
    ConcurrentVerifier verifier(r.path + ".tmp");
    writer.on_output([&](uint64_t bytes) { verifier.source().publish(bytes); });
    dump_into(o, tool, writer, start);
    writer.finish();
    verifier.source().finish();
    tmp.sync_and_close();
    if (o.progress) o.progress({"verify", writer.bytes_in(), writer.bytes_out(), std::chrono::steady_clock::now() - start});
    check_written(verifier.result(), writer, r.path);
    fault::point("backup.create.sidecar");
    write_sha256_sidecar(r.path, writer.sha256_hex());
    rename_into_place(r.path);
    tmp.keep();
    fault::point("backup.create.folder-fsync");
    fsync_path(folder, true);
    r.sha256 = writer.sha256_hex();
    r.size = writer.bytes_out();
    r.uncompressed_size = writer.bytes_in();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("Database Backup Success");
    return r;
  } catch (const Error& e) {
    spdlog::error("Database Backup Failure: {}", e.full_message());
    throw;
  } catch (const std::exception& e) {
    spdlog::error("Database Backup Failure: {}", e.what());
    throw Error(ErrorKind::kIo, e.what());
  }
}

std::vector<std::string> cleanup_database_backups(const DatabaseConfig& db, const std::string& media_location) {
  auto conn = db::Connection::open(db);
  auto settings = config::database_backup_settings(config::load_system_config(*conn));
  auto deleted = prune_backups(backups_folder(media_location), settings.keep_last_amount);
  for (const auto& name : deleted) spdlog::info("Deleted old backup file {}", name);
  return deleted;
}

void notify_backup_failure(const DatabaseConfig& db, const std::string& message) {
  notify_job_failure(db, "DatabaseBackup", message);
}

void notify_job_failure(const DatabaseConfig& db, const std::string& job, const std::string& message) {
  spdlog::error("Unable to run job handler ({}): {}", job, message);
  try {
    auto conn = db::Connection::open(db);
    auto admin = conn->exec(
        R"(SELECT "id" FROM "user" WHERE "isAdmin" = true AND "deletedAt" IS NULL ORDER BY "createdAt" LIMIT 1)",
        {}, "find the admin");
    if (admin.empty()) {
      spdlog::warn("no admin to notify about the failed job {}", job);
      return;
    }
    conn->exec(R"(INSERT INTO "notification" ("userId", "type", "level", "title", "description")
                  VALUES ($1, 'JobFailed', 'error', 'Job Failed', $2))",
               {admin.text(0, 0), "Job " + job + " failed with error: " + message},
               "notify the admin of the failed job");
  } catch (const std::exception& e) {
    spdlog::error("could not notify the admin about the failed job {}: {}", job, e.what());
  }
}

bool claim_schedule_tick(db::Connection& conn, const std::string& job,
                         std::chrono::system_clock::time_point tick) {
  migrations::apply_keepsake_migrations(conn);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(tick.time_since_epoch()).count();
  auto r = conn.exec(
      "INSERT INTO keepsake.backup_schedule_run (job, tick) VALUES ($1, to_timestamp($2::bigint)) "
      "ON CONFLICT (job, tick) DO NOTHING RETURNING tick",
      {job, std::to_string(seconds)}, "record the backup tick");
  return r.rows() == 1;
}

namespace {

std::optional<BackupResult> run_locked(const JobOptions& o, db::Connection& lock_conn) {
  if (o.tick && !claim_schedule_tick(lock_conn, "DatabaseBackup", *o.tick)) {
    spdlog::info("database backup for this tick already ran on another instance; skipping");
    return std::nullopt;
  }
  auto result = create_backup(o.backup);
  cleanup_database_backups(o.backup.db, o.backup.media_location);
  return result;
}

}  // namespace

std::optional<BackupResult> run_database_backup_job(const JobOptions& o) {
  try {
    if (o.lock == LockPolicy::kSkipIfBusy) {
      auto held = db::try_lock(o.backup.db, db::DatabaseLock::BackupDatabase);
      if (!held) {
        spdlog::info("another instance holds the database backup lock (42); skipping");
        return std::nullopt;
      }
      return run_locked(o, held->connection());
    }
    std::optional<BackupResult> result;
    db::LockWaitOptions wait;
    wait.timeout = o.lock_timeout;
    db::with_lock(o.backup.db, db::DatabaseLock::BackupDatabase,
                  [&](db::Connection& conn) { result = run_locked(o, conn); }, wait);
    return result;
  } catch (const Error& e) {
    notify_backup_failure(o.backup.db, e.what());
    throw;
  }
}

}  // namespace keepsake::backup
