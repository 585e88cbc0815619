// The fault matrix (docs/RELIABILITY.md): every phase that an operation declares in its phase list
// (common/fault_point.h) × {kill, eio, enospc}, run through the real `keepsake` binary. After the
// fault and the next start: the state the operation changes (database content, files) is exactly
// the old or exactly the new one, every listed backup is complete, nothing of the failed attempt
// is left, and the operation run again succeeds. Generated from the phase lists: a new phase is a
// new case, and a declared phase that the operation never reaches fails its case.
// Each case records its outcome in <build>/fault-matrix/ for scripts/fault_matrix.sh, which writes
// the table of docs/RELIABILITY.md.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "backup/dump_check.h"
#include "common/error.h"
#include "common/fault_point.h"
#include "db/connection.h"
#include "files/files_service.h"
#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "harness/own_cluster.h"
#include "http/backup_upload.h"
#include "jobs/deletion_jobs.h"
#include "jobs/queue.h"
#include "migrations/boot.h"
#include "migrations/keepsake_migrations.h"
#include "pitr/archive.h"
#include "pitr/pitr.h"
#include "restore/database_swap.h"
#include "restore/pitr_restore.h"
#include "restore/restore_fixture.h"
#include "restore/restore_service.h"
#include "storage/path_migration.h"
#include "vector/index_manager.h"

namespace keepsake {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::KeepsakeProcess;
using keepsake::testing::TempDir;

// In ctest: a kill and an I/O error at every phase (eio and enospc take the same error path, only
// their message differs). scripts/fault_matrix.sh sets KEEPSAKE_FAULT_MATRIX_ALL=1 and adds enospc
// for the table of docs/RELIABILITY.md.
std::vector<std::string> faults() {
  std::vector<std::string> out = {"kill", "eio"};
  if (std::getenv("KEEPSAKE_FAULT_MATRIX_ALL")) out.push_back("enospc");
  return out;
}

// A query's rows, one a line, columns separated by '|'.
std::string rows_text(db::Connection& c, const std::string& sql) {
  auto r = c.exec(sql);
  std::string out;
  for (int i = 0; i < r.rows(); ++i) {
    for (int j = 0; j < r.columns(); ++j)
      out += (j ? "|" : "") + (r.is_null(i, j) ? "NULL" : r.text(i, j));
    out += "\n";
  }
  return out;
}

// One case's world: a fresh bootstrapped database, a media folder and a data folder.
struct Scene {
  std::string db = keepsake::testing::create_bootstrapped_database("fault");
  TempDir dir;
  std::string db_url;           // the live database's DB_URL when not `db` of the shared cluster
  bool embedded = false;        // the live database is the embedded cluster of <dir>/data (no DB_URL)
  std::shared_ptr<void> held;   // what an operation keeps for its case (a cluster of its own)
  Scene() { fs::create_directories(backups()); }
  ~Scene() {
    try {
      auto admin = db::Connection::open(keepsake::testing::superuser_config());
      for (auto& d : restore::find_restore_databases(*admin, db))
        restore::drop_restore_database(*admin, db, d.name);
      keepsake::testing::drop_database(db);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cleanup of " << db << ": " << e.what();
    }
  }
  std::string media() const { return dir.path() + "/media"; }
  std::string backups() const { return backup::backups_folder(media()); }
  std::unique_ptr<db::Connection> connect() const {
    return db::Connection::open(keepsake::testing::superuser_config(db));
  }
  std::string query(const std::string& sql) const { return rows_text(*connect(), sql); }
};

struct RunResult {
  bool killed = false;
  int exit_code = 0;
  std::string log;
};

std::map<std::string, std::string> keepsake_env(const Scene& s, const std::string& fault) {
  std::map<std::string, std::string> env = {{"DB_URL", s.db_url.empty() ? keepsake::testing::database_url(s.db) : s.db_url},
                                            {"IMMICH_MEDIA_LOCATION", s.media()},
                                            {"KEEPSAKE_DATA_DIR", s.dir.path() + "/data"}};
  if (s.embedded) env.erase("DB_URL");
  if (!fault.empty()) env["KEEPSAKE_FAULT"] = fault;
  return env;
}

RunResult run_keepsake(const Scene& s, const std::vector<std::string>& args,
                       const std::string& fault = {}) {
  KeepsakeProcess p(keepsake_env(s, fault), s.dir.path(), args);
  int code = p.wait_exit(120);
  return {p.term_signal() == SIGKILL, code, p.stderr_text() + p.stdout_text()};
}

// The relations of public, the users and every table's row count, without system_metadata (a
// restore's own bookkeeping lives there). Cheaper than the full catalog, and enough to tell the
// two libraries of a restore apart.
std::string database_fingerprint(const std::string& dbname) {
  std::string counts = keepsake::testing::row_counts(dbname);
  auto at = counts.find("public.system_metadata=");
  if (at != std::string::npos) counts.erase(at, counts.find('\n', at) - at + 1);
  auto c = db::Connection::open(keepsake::testing::superuser_config(dbname));
  auto shape = c->exec(
      R"(SELECT (SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class
                                   WHERE relnamespace = 'public'::regnamespace),
                                  (SELECT string_agg(email, ',' ORDER BY email) FROM "user"))");
  return shape.text(0, 0) + "\n" + shape.text(0, 1) + "\n" + counts;
}

// An operation of the matrix: its phase list and how to prepare, run and observe it.
class Operation {
 public:
  virtual ~Operation() = default;
  virtual fault::Operation phases() const = 0;
  virtual void prepare(Scene&) {}
  virtual std::vector<std::string> command(const Scene&) const { return {}; }
  // Runs the operation once, with the fault (or none); a command's exit code, or 1 for a refusal.
  virtual RunResult run(const Scene& s, const std::string& fault) {
    return run_keepsake(s, command(s), fault);
  }
  // What the operation changes: database content and the media folder's files.
  virtual std::string fingerprint(const Scene&) const = 0;
  // What the next start of Keepsake does about an interrupted run.
  virtual void next_start(const Scene&) {}
  // A resumable operation may leave an intermediate state that its next run finishes.
  virtual bool resumable_state(const Scene&) const { return false; }
  // After the run again: the operation's work is all done (not merely the old state kept).
  virtual bool finished(const Scene&) const { return true; }
  // The operation deletes files of the media folder (its fingerprint covers them instead).
  virtual bool changes_media_files() const { return false; }
  // The faults tried at each phase.
  virtual std::vector<std::string> faults_tried() const { return faults(); }
  // A fault at this phase must leave exactly the old state (the new one cannot exist yet).
  virtual bool keeps_old_state_at(const std::string& /*phase*/) const { return false; }
};

class BackupCreate : public Operation {
 public:
  fault::Operation phases() const override {
    return {"backup.create", backup::kCreateBackupPhases};
  }
  void prepare(Scene& s) override {
    s.connect()->exec("CREATE TABLE t AS SELECT generate_series(1, 100) AS v");
  }
  std::vector<std::string> command(const Scene&) const override { return {"backup", "create"}; }
  std::string fingerprint(const Scene& s) const override {
    return keepsake::testing::row_counts(s.db);
  }
};

// A backup of a library other than the live one, made once and copied into each scene.
struct RestoreSource {
  TempDir media;
  std::string file, fingerprint;
  RestoreSource() {
    fs::create_directories(backup::backups_folder(media.path()));
    std::string source = keepsake::testing::create_bootstrapped_database("faultsrc");
    {
      auto c = db::Connection::open(keepsake::testing::superuser_config(source));
      c->exec(
          R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true),
                                                                      ('restored@example.com', 'R', false))");
      backup::BackupOptions o;
      o.db = keepsake::testing::superuser_config(source);
      o.media_location = media.path();
      file = backup::create_backup(o).filename;
    }
    fingerprint = database_fingerprint(source);
    keepsake::testing::drop_database(source);
  }
  static const RestoreSource& get() {
    static RestoreSource source;
    return source;
  }
  void copy_into(const Scene& s) const {
    for (const char* ext : {"", ".sha256"}) {
      fs::copy_file(backup::backups_folder(media.path()) + "/" + file + ext,
                    s.backups() + "/" + file + ext);
    }
  }
};

class Restore : public Operation {
 public:
  explicit Restore(bool beside) : beside_(beside) {}
  fault::Operation phases() const override {
    if (beside_) return {"restore.beside", restore::kRestoreBesidePhases};
    return {"restore.in-place", restore::kRestoreInPlacePhases};
  }
  void prepare(Scene& s) override {
    RestoreSource::get().copy_into(s);
    s.connect()->exec(
        R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true),
                                                                            ('old@example.com', 'O', false))");
  }
  std::vector<std::string> command(const Scene&) const override {
    return {"restore", RestoreSource::get().file, "--yes", "--strategy",
            beside_ ? "beside" : "in-place"};
  }
  std::string fingerprint(const Scene& s) const override { return database_fingerprint(s.db); }
  void next_start(const Scene& s) override {
    restore::recover_restores(keepsake::testing::superuser_config(s.db), 7);
  }

 private:
  bool beside_;
};

// The recovery a start runs after a restore was killed right after its swap (a journal to
// complete), with a scratch database of another interrupted restore beside it.
class RestoreRecovery : public Operation {
 public:
  fault::Operation phases() const override {
    return {"restore.recovery", restore::kRecoverRestoresPhases};
  }
  void prepare(Scene& s) override {
    RestoreSource::get().copy_into(s);
    auto killed =
        run_keepsake(s, {"restore", RestoreSource::get().file, "--yes", "--strategy", "beside"},
                     "restore.after-swap:kill");
    ASSERT_TRUE(killed.killed) << killed.log;
    auto names = restore::restore_names(s.db, std::chrono::system_clock::now());
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    admin->exec("CREATE DATABASE " + db::quote_ident(names.scratch));
    admin->exec("COMMENT ON DATABASE " + db::quote_ident(names.scratch) +
                " IS 'keepsake restore of x.sql.gz'");
  }
  // The restore command runs the recovery first, then restores the same file again.
  std::vector<std::string> command(const Scene&) const override {
    return {"restore", RestoreSource::get().file, "--yes", "--strategy", "beside"};
  }
  std::string fingerprint(const Scene& s) const override {
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    std::string scratch;
    for (auto& d : restore::find_restore_databases(*admin, s.db))
      scratch += d.scratch ? "scratch " : "";
    return database_fingerprint(s.db) + scratch;
  }
  void next_start(const Scene& s) override {
    restore::recover_restores(keepsake::testing::superuser_config(s.db), 7);
  }
};

// An admin uploads a backup to a running server (POST /api/admin/database-backups/upload).
class BackupUpload : public Operation {
 public:
  fault::Operation phases() const override { return {"backup.upload", http::kBackupUploadPhases}; }
  void prepare(Scene& s) override {
    keepsake::testing::insert_admin_with_api_key(*s.connect(), "fault-key");
  }
  RunResult run(const Scene& s, const std::string& fault) override {
    auto env = keepsake_env(s, fault);
    int port = keepsake::testing::free_port();
    env["IMMICH_PORT"] = std::to_string(port);
    KeepsakeProcess serve(env, s.dir.path(), {"serve"});
    RunResult r;
    if (!serve.wait_for_log("Keepsake Server is listening", 120))
      return {false, 1, serve.stderr_text()};
    const auto& source = RestoreSource::get();
    std::ifstream in(backup::backups_folder(source.media.path()) + "/" + source.file,
                     std::ios::binary);
    std::string content(std::istreambuf_iterator<char>(in), {});
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(60);
    httplib::MultipartFormDataItems items = {
        {"file", content, "library.sql.gz", "application/gzip"}};
    auto res =
        client.Post("/api/admin/database-backups/upload", {{"x-api-key", "fault-key"}}, items);
    r.exit_code = res && res->status == 201 ? 0 : 1;
    if (res) r.log = res->body + "\n";
    if (serve.wait_exit(fault.ends_with(":kill") ? 30 : 0) == -1 && serve.term_signal() == 0)
      serve.signal(SIGTERM);
    serve.wait_exit(30);
    r.killed = serve.term_signal() == SIGKILL;
    r.log += serve.stderr_text();
    return r;
  }
  std::string fingerprint(const Scene& s) const override {
    return keepsake::testing::row_counts(s.db);
  }
};

// A media-location change: every stored path moves from /old to /new, one row per batch.
class MediaLocationChange : public Operation {
 public:
  fault::Operation phases() const override {
    return {"storage.paths", storage::kMigratePathsPhases};
  }
  void prepare(Scene& s) override {
    s.connect()->exec(R"(INSERT INTO "user" (email, name, "profileImagePath")
                         SELECT 'u' || i || '@example.com', 'U', '/old/profile/' || i || '.jpg'
                           FROM generate_series(1, 3) i)");
  }
  std::vector<std::string> command(const Scene&) const override {
    return {"storage", "migrate-paths", "--from", "/old", "--to", "/new", "--batch-size", "1"};
  }
  std::string fingerprint(const Scene& s) const override {
    return s.query(R"(SELECT "profileImagePath" FROM "user" ORDER BY email)");
  }
  bool resumable_state(const Scene& s) const override {
    return !s.query("SELECT 1 FROM system_metadata WHERE key = 'keepsake-path-migration'").empty();
  }
};

class VectorDimension : public Operation {
 public:
  fault::Operation phases() const override {
    return {"vector.dimension", vector::kSetDimensionPhases};
  }
  std::vector<std::string> command(const Scene&) const override {
    return {"vector", "set-dimension", "768"};
  }
  std::string fingerprint(const Scene& s) const override {
    return s.query(R"(SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                       WHERE attrelid = 'smart_search'::regclass AND attname = 'embedding')") +
           s.query(
               "SELECT conname FROM pg_constraint WHERE conrelid = 'smart_search'::regclass ORDER "
               "BY 1") +
           s.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'smart_search' ORDER BY 1") +
           s.query("SELECT count(*) FROM smart_search");
  }
};

// A reindex that builds the new index beside the old one; a kill leaves the unfinished build,
// which the next reindex drops.
class VectorReindex : public Operation {
 public:
  fault::Operation phases() const override { return {"vector.reindex", vector::kReindexPhases}; }
  std::vector<std::string> command(const Scene&) const override {
    return {"vector", "reindex", "--index", "clip_index"};
  }
  std::string fingerprint(const Scene& s) const override {
    return s.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'smart_search' ORDER BY 1");
  }
  bool resumable_state(const Scene& s) const override {
    return !s.query("SELECT 1 FROM pg_indexes WHERE indexname = 'clip_index_keepsake_build'").empty();
  }
  bool finished(const Scene& s) const override { return !resumable_state(s); }
};

// Keepsake's own migrations on a database whose schema `keepsake` is gone.
class KeepsakeMigrations : public Operation {
 public:
  fault::Operation phases() const override {
    return {"migrations.keepsake", migrations::kKeepsakeMigrationPhases};
  }
  void prepare(Scene& s) override { s.connect()->exec("DROP SCHEMA keepsake CASCADE"); }
  std::vector<std::string> command(const Scene&) const override { return {"migrations", "run"}; }
  std::string fingerprint(const Scene& s) const override {
    return s.query(
               "SELECT count(*) FROM pg_class WHERE relnamespace = "
               "(SELECT oid FROM pg_namespace WHERE nspname = 'keepsake')") +
           s.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'keepsake'");
  }
};

std::string media_files(const Scene& s);

// A trashed photo past the trash period, deleted by the nightly check's AssetDelete job through
// the queue (`keepsake jobs drain`): claimed, rows deleted, files removed, job completed.
class AssetDeleteJob : public Operation {
 public:
  fault::Operation phases() const override {
    return {"jobs.asset-delete", jobs::kAssetDeleteJobPhases};
  }
  void prepare(Scene& s) override {
    auto c = s.connect();
    std::string owner =
        c->exec(R"(INSERT INTO "user" (email, name) VALUES ('o@example.com', 'O') RETURNING id)")
            .text(0, 0);
    std::string folder = s.media() + "/upload/" + owner + "/aa/bb";
    fs::create_directories(folder);
    for (const char* name : {"a.jpg", "a_thumbnail.webp", "kept.jpg"})
      std::ofstream(folder + "/" + name) << name;
    c->exec(R"(INSERT INTO asset ("deviceAssetId", "ownerId", "deviceId", type, "originalPath",
                                  "fileCreatedAt", "fileModifiedAt", checksum, "originalFileName",
                                  "localDateTime", "checksumAlgorithm", "deletedAt", status)
               VALUES ('d1', $1, 'dev', 'IMAGE', $2 || '/a.jpg', now(), now(), '\x01', 'a.jpg', now(),
                       'sha1', now() - interval '60 days', 'trashed'),
                      ('d2', $1, 'dev', 'IMAGE', $2 || '/kept.jpg', now(), now(), '\x02', 'kept.jpg',
                       now(), 'sha1', NULL, 'active'))",
            {owner, folder});
    c->exec(R"(INSERT INTO asset_file ("assetId", type, path)
               SELECT id, 'thumbnail', $1 || '/a_thumbnail.webp' FROM asset WHERE "deviceAssetId" = 'd1')",
            {folder});
    jobs::ensure_queue_schema(*c);
  }
  // The nightly check queues the job (it queues it again after a failed attempt, as the next
  // night would), then the queue is drained with the fault.
  RunResult run(const Scene& s, const std::string& fault) override {
    auto queued = run_keepsake(s, {"jobs", "run", "AssetDeleteCheck"});
    if (queued.exit_code != 0) return queued;
    return run_keepsake(s, {"jobs", "drain"}, fault);
  }
  std::string fingerprint(const Scene& s) const override {
    return s.query(R"(SELECT "deviceAssetId" FROM asset ORDER BY 1)") +
           s.query("SELECT count(*) FROM asset_file") + media_files(s);
  }
  // A killed worker's lease runs out before the next run (here at once, not after a minute).
  void next_start(const Scene& s) override {
    s.connect()->exec("UPDATE keepsake.job SET lease_until = clock_timestamp() WHERE status = 'active'");
  }
  // Rows gone and a FileDelete job queued for the files: the next drain removes them.
  bool resumable_state(const Scene& s) const override {
    return !s.query("SELECT 1 FROM keepsake.job WHERE name = 'FileDelete' AND status = 'waiting'")
                .empty();
  }
  bool finished(const Scene& s) const override {
    std::string files = media_files(s);
    return files.find("/a.jpg") == std::string::npos &&
           files.find("/a_thumbnail.webp") == std::string::npos &&
           files.find("/kept.jpg") != std::string::npos &&
           s.query(R"(SELECT "deviceAssetId" FROM asset)") == "d2\n" &&
           s.query("SELECT count(*) FROM keepsake.job WHERE status <> 'failed'") == "0\n";
  }
  bool changes_media_files() const override { return true; }
};

// A restic repository (and the password file `files init` makes), initialised once: each scene
// gets a copy instead of paying for restic's key derivation again.
struct ResticRepository {
  TempDir dir;
  ResticRepository() {
    files::init_repository({dir.path() + "/media", dir.path() + "/data", dir.path() + "/repo", {}});
  }
  static const ResticRepository& get() {
    static ResticRepository repository;
    return repository;
  }
  void copy_into(const Scene& s) const {
    fs::copy(dir.path() + "/repo", s.dir.path() + "/repo", fs::copy_options::recursive);
    fs::create_directories(s.dir.path() + "/data/files");
    fs::copy_file(dir.path() + "/data/files/restic-password",
                  s.dir.path() + "/data/files/restic-password");
    std::ofstream(s.dir.path() + "/data/files/repository") << s.dir.path() << "/repo\n";
  }
};

// The running processes whose command line names `text`. A process that ends while its
// cmdline is read makes the read fail (ESRCH, thrown by libstdc++): it runs no more, so it does
// not count.
int processes_naming(const std::string& text) {
  int count = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/proc", ec)) {
    std::string cmdline;
    try {
      std::ifstream in(e.path() / "cmdline");
      cmdline.assign(std::istreambuf_iterator<char>(in), {});
    } catch (const std::exception&) {
      continue;
    }
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (e.path().filename() != "self" && cmdline.find(text) != std::string::npos) ++count;
  }
  return count;
}

// `keepsake files backup`: the media folder snapshotted with restic into a local repository,
// paired with the routine database backup already there (a library point).
class FilesBackup : public Operation {
 public:
  fault::Operation phases() const override { return {"files.backup", files::kFilesBackupPhases}; }
  void prepare(Scene& s) override {
    ResticRepository::get().copy_into(s);
    for (const char* file : {"upload/u1/aa/bb/photo.jpg", "profile/u1/me.jpg", "library/a.heic"}) {
      fs::create_directories(fs::path(s.media() + "/" + file).parent_path());
      std::ofstream(s.media() + "/" + file) << file;
    }
    backup::BackupOptions o;
    o.db = keepsake::testing::superuser_config(s.db);
    o.media_location = s.media();
    backup::create_backup(o);
  }
  std::vector<std::string> command(const Scene&) const override { return {"files", "backup"}; }
  // The library points (every snapshot names its paired database backup), as a set: a run again
  // after a finished snapshot makes a second, identical point. A pending snapshot (made by restic,
  // not yet tagged when the run stopped) is no point and is left for retention.
  std::string fingerprint(const Scene& s) const override {
    auto snapshots = files::list_snapshots(settings(s));
    auto points = files::library_points_of(settings(s), snapshots);
    std::set<std::string> distinct;
    for (const auto& p : points) {
      std::string point = p.database_backup + " " + p.database_state;
      for (const auto& path : p.snapshot.paths) point += " " + path;
      distinct.insert(point);
    }
    auto pending = std::count_if(snapshots.begin(), snapshots.end(), [](const files::Snapshot& sn) {
      return sn.tags == std::vector<std::string>{"keepsake-pending"};
    });
    std::string out = std::to_string(snapshots.size() - points.size() - pending) + " snapshots not points nor pending\n";
    for (const auto& p : distinct) out += p + "\n";
    return out;
  }
  // A killed Keepsake's restic must end with it (it would otherwise finish a snapshot alone).
  void next_start(const Scene& s) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (processes_naming(s.dir.path() + "/repo") > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  bool finished(const Scene& s) const override {
    return !files::list_library_points(settings(s)).empty() &&
           files::check_repository(settings(s)).ok;
  }
  // Until the snapshot is tagged there is no new point (a pending snapshot is none).
  bool keeps_old_state_at(const std::string& phase) const override {
    return phase != files::kFilesBackupPhases[3];
  }

 private:
  static files::FilesSettings settings(const Scene& s) {
    return {s.media(), s.dir.path() + "/data", "", {}};
  }
};

// A cluster of the case's own (PITR needs a replication slot and an archive, which the shared
// cluster must not carry), booted with the Immich schema; the scene's live database.
std::shared_ptr<keepsake::testing::OwnCluster> booted_own_cluster(Scene& s) {
  auto cluster = std::make_shared<keepsake::testing::OwnCluster>();
  s.held = cluster;
  s.db_url = cluster->url();
  migrations::run_database_boot(cluster->config(), migrations::BootOptions{});
  return cluster;
}

// On an Immich database with an admin: PITR enabled (archive <dir>/data/pitr), then users t1, t2,
// t3 committed one per transaction; returns a time between t2 and t3.
int64_t enable_with_users_t1_t2_t3(const DatabaseConfig& db, const Scene& s) {
  auto c = db::Connection::open(db);
  c->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  pitr::enable({.db = db, .archive_dir = s.dir.path() + "/data/pitr"});
  int64_t target = 0;
  for (const char* name : {"t1", "t2", "t3"}) {
    c->exec(R"(INSERT INTO "user" (email, name) VALUES ($1 || '@example.com', $1))", {name});
    if (std::string(name) == "t2") {
      target = c->exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").int64(0, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return target;
}

const char* kUsersQuery = R"(SELECT name FROM "user" WHERE NOT "isAdmin" ORDER BY "createdAt")";

// `keepsake pitr restore --to <time>` into the live database, on a cluster of its own (the shared
// one must not carry a replication slot nor an archive) with PITR enabled and users t1, t2, t3
// committed one per transaction; restored to a time between t2 and t3. Each case recovers the
// archive twice (the faulted run and the run again): 11-19 s on a quiet machine, 37-65 s under
// load. An I/O error at a phase fails the restore there (after the swap: the library is already
// the restored one); the I/O errors of the loader in between are the restore.beside cases.
class PitrRestore : public Operation {
 public:
  fault::Operation phases() const override { return {"pitr-restore", restore::kPitrRestorePhases}; }
  void prepare(Scene& s) override {
    auto cluster = booted_own_cluster(s);
    target_ = enable_with_users_t1_t2_t3(cluster->config(), s);
  }
  std::vector<std::string> command(const Scene&) const override {
    return {"pitr", "restore", "--to", pitr::format_iso8601(target_), "--yes"};
  }
  std::string fingerprint(const Scene& s) const override {
    return rows_text(*cluster(s).connect(), kUsersQuery);
  }
  void next_start(const Scene& s) override { restore::recover_restores(cluster(s).config(), 7); }
  // Restored to t2; the killed runs' scratch clusters and databases gone, the write fence lifted.
  bool finished(const Scene& s) const override {
    auto c = cluster(s).connect();
    return fingerprint(s) == "t1\nt2\n" && fs::is_empty(s.dir.path() + "/data/pitr/restore") &&
           c->exec("SELECT count(*) FROM pg_database WHERE datname LIKE 'immich_restore_%'").int64(0, 0) == 0 &&
           c->exec("SHOW default_transaction_read_only").text(0, 0) == "off";
  }

 private:
  static keepsake::testing::OwnCluster& cluster(const Scene& s) {
    return *std::static_pointer_cast<keepsake::testing::OwnCluster>(s.held);
  }
  int64_t target_ = 0;  // set by prepare for the case that runs (cases run one at a time)
};

// `keepsake pitr restore --to <time>` of Keepsake's own embedded cluster (no DB_URL: the cluster
// in <dir>/data/postgres), whose data folder the restore replaces; users t1, t2, t3 as above,
// restored to a time between t2 and t3. Up to the set-aside of the old folder the old state must
// stay; from the second rename on the library is the restored one. The next start is the
// cluster's (which puts back a folder set aside by a killed swap) and recover_restores. Each case
// recovers the archive twice, about a second each here.
class PitrRestoreEmbedded : public Operation {
 public:
  fault::Operation phases() const override { return {"pitr-restore-embedded", restore::kPitrRestoreEmbeddedPhases}; }
  void prepare(Scene& s) override {
    s.embedded = true;
    Config config;
    config.data_dir = s.dir.path() + "/data";
    auto o = db::embedded_options_for(config);
    o.throwaway = true;
    std::shared_ptr<db::EmbeddedPostgres> pg(new db::EmbeddedPostgres(o), [](db::EmbeddedPostgres* p) {
      try {
        p->stop();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "stopping the embedded cluster: " << e.what();
      }
      delete p;
    });
    s.held = pg;
    pg->start();
    migrations::run_database_boot(pg->connection_config(), migrations::BootOptions{});
    target_ = enable_with_users_t1_t2_t3(pg->connection_config(), s);
  }
  std::vector<std::string> command(const Scene&) const override {
    return {"pitr", "restore", "--to", pitr::format_iso8601(target_), "--yes"};
  }
  std::string fingerprint(const Scene& s) const override {
    return rows_text(*db::Connection::open(cluster(s).connection_config()), kUsersQuery);
  }
  void next_start(const Scene& s) override {
    cluster(s).start();
    restore::recover_restores(cluster(s).connection_config(), 7);
  }
  bool keeps_old_state_at(const std::string& phase) const override {
    return phase != db::kEmbeddedSwapPhases[2] && phase != restore::kPitrRestorePhases[2];
  }
  // Restored to t2 on a new timeline that the archive follows; no scratch cluster, no swap
  // journal, the write fence lifted.
  bool finished(const Scene& s) const override {
    auto c = db::Connection::open(cluster(s).connection_config());
    bool scratch_left = false;
    for (auto& e : fs::directory_iterator(cluster(s).options().cluster_dir)) {
      scratch_left |= e.path().filename().string().starts_with("pitr-restore-");
    }
    auto status = pitr::read_status(cluster(s).connection_config(), s.dir.path() + "/data/pitr");
    return fingerprint(s) == "t1\nt2\n" && !scratch_left && !fs::exists(cluster(s).swap_journal()) &&
           c->exec("SHOW default_transaction_read_only").text(0, 0) == "off" && status.problems.empty();
  }

 private:
  static db::EmbeddedPostgres& cluster(const Scene& s) {
    return *std::static_pointer_cast<db::EmbeddedPostgres>(s.held);
  }
  int64_t target_ = 0;
};

// `keepsake pitr backup`, one more base backup, on a cluster of its own with PITR enabled (which
// took the first). Both phases come before the verified backup is renamed into place, so a fault
// there must leave exactly the base backups there were; the run again removes the killed run's
// `.partial` folder and takes a verified one.
class PitrBaseBackup : public Operation {
 public:
  fault::Operation phases() const override { return {"pitr.base-backup", pitr::kBaseBackupPhases}; }
  void prepare(Scene& s) override {
    auto cluster = booted_own_cluster(s);
    pitr::enable({.db = cluster->config(), .archive_dir = archive(s).dir()});
  }
  std::vector<std::string> command(const Scene&) const override { return {"pitr", "backup"}; }
  // The verified base backups there are.
  std::string fingerprint(const Scene& s) const override {
    std::string out;
    for (const auto& b : archive(s).base_backups()) {
      if (b.verified && fs::is_directory(archive(s).base_dir() + "/" + b.name)) out += b.name + "\n";
    }
    return out;
  }
  bool finished(const Scene& s) const override {
    for (const auto& e : fs::directory_iterator(archive(s).base_dir())) {
      if (e.path().extension() == ".partial") return false;
    }
    return archive(s).base_backups().size() == 2 && !archive(s).failure();
  }
  bool keeps_old_state_at(const std::string&) const override { return true; }

 private:
  static pitr::Archive archive(const Scene& s) { return pitr::Archive(s.dir.path() + "/data/pitr"); }
};

const std::vector<std::shared_ptr<Operation>>& operations() {
  static const std::vector<std::shared_ptr<Operation>> all = {
      std::make_shared<BackupCreate>(),    std::make_shared<BackupUpload>(),
      std::make_shared<Restore>(true),     std::make_shared<Restore>(false),
      std::make_shared<RestoreRecovery>(), std::make_shared<MediaLocationChange>(),
      std::make_shared<VectorDimension>(), std::make_shared<VectorReindex>(),
      std::make_shared<KeepsakeMigrations>(),
      std::make_shared<AssetDeleteJob>(),  std::make_shared<FilesBackup>(),
      std::make_shared<PitrRestore>(),     std::make_shared<PitrRestoreEmbedded>(),
      std::make_shared<PitrBaseBackup>()};
  return all;
}

struct Case {
  std::shared_ptr<Operation> operation;
  std::string phase, fault;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.phase << ":" << c.fault; }

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const auto& op : operations()) {
    for (auto phase : op->phases().phases) {
      for (const auto& f : op->faults_tried()) cases.push_back({op, std::string(phase), f});
    }
  }
  return cases;
}

// The server's mount-check markers (storage/mount_checks.h), which a start creates.
bool is_marker(const fs::path& p) { return p.filename() == ".immich"; }

// The files of the media folder (path and size), backups and markers aside.
std::string media_files(const Scene& s) {
  std::vector<std::string> files;
  for (auto& e : fs::recursive_directory_iterator(s.media())) {
    if (e.is_regular_file() && e.path().parent_path() != s.backups() && !is_marker(e.path())) {
      files.push_back(fs::relative(e.path(), s.media()).string() + " " +
                      std::to_string(e.file_size()));
    }
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (auto& f : files) out += f + "\n";
  return out;
}

// Listed backups that do not verify, and files of the backups folder that are neither a listed
// backup nor its sidecar: what a failed attempt must not leave behind.
std::vector<std::string> backup_problems(const Scene& s) {
  std::vector<std::string> problems;
  std::set<std::string> listed;
  for (auto& b : backup::list_backups(s.backups())) {
    listed.insert(b.filename);
    try {
      backup::verify_backup_file(s.backups() + "/" + b.filename);
    } catch (const Error& e) {
      problems.push_back("listed but incomplete: " + b.filename + ": " + e.what());
    }
  }
  for (auto& e : fs::directory_iterator(s.backups())) {
    std::string name = e.path().filename().string();
    if (is_marker(e.path())) continue;
    std::string base = name.ends_with(".sha256") ? name.substr(0, name.size() - 7) : name;
    if (!listed.count(base)) problems.push_back("left behind: " + name);
  }
  return problems;
}

std::string ledger_folder() {
  return fs::path(keepsake::testing::keepsake_binary()).parent_path() / "fault-matrix";
}

void record(const Case& c, bool survived, bool lost) {
  fs::create_directories(ledger_folder());
  std::ofstream(ledger_folder() + "/" + std::string(c.operation->phases().name) + "." + c.phase +
                "." + c.fault + ".tsv")
      << c.operation->phases().name << "\t" << c.phase << "\t" << c.fault << "\t" << survived
      << "\t" << lost << "\n";
}

class FaultMatrix : public ::testing::TestWithParam<Case> {};

TEST_P(FaultMatrix, OldOrNewStateAndTheRunAgainSucceeds) {
  ASSERT_TRUE(fault::compiled_in()) << "the test build must have KEEPSAKE_FAULT_INJECTION";
  const Case& c = GetParam();
  Operation& op = *c.operation;
  Scene s;
  op.prepare(s);
  if (HasFatalFailure()) return;
  const std::string before = op.fingerprint(s), files_before = media_files(s);

  RunResult faulted = op.run(s, c.phase + ":" + c.fault);
  bool reached = c.fault == "kill"
                     ? faulted.killed
                     : faulted.log.find("fault injected at " + c.phase) != std::string::npos;
  std::string io_error = std::strerror(c.fault == "eio" ? EIO : ENOSPC);
  bool clear_error = c.fault == "kill" || faulted.exit_code == 0 ||
                     faulted.log.find(io_error) != std::string::npos;
  op.next_start(s);
  const std::string after_fault = op.fingerprint(s);
  const bool resumable = op.resumable_state(s);

  RunResult again = op.run(s, "");
  op.next_start(s);
  const std::string after = op.fingerprint(s);
  bool state_ok = op.keeps_old_state_at(c.phase)
                      ? after_fault == before
                      : after_fault == before || after_fault == after || resumable;
  bool files_ok = op.changes_media_files() || media_files(s) == files_before;
  bool finished = op.finished(s);
  auto problems = backup_problems(s);
  bool backups_ok = c.fault == "kill"
                        ? std::none_of(problems.begin(), problems.end(),
                                       [](auto& p) { return p.starts_with("listed"); })
                        : problems.empty();
  record(c,
         reached && clear_error && state_ok && files_ok && backups_ok && finished &&
             again.exit_code == 0,
         !state_ok || !files_ok);

  ASSERT_TRUE(reached) << "the phase " << c.phase << " was never reached:\n" << faulted.log;
  EXPECT_TRUE(clear_error) << "the failure does not say what failed:\n" << faulted.log;
  EXPECT_EQ(again.exit_code, 0) << "run again after " << c.fault << " at " << c.phase << ":\n"
                                << again.log;
  EXPECT_TRUE(state_ok) << (op.keeps_old_state_at(c.phase) ? "not the old state" : "neither the old nor the new state")
                        << " after " << c.fault << " at " << c.phase << ":\n" << before << "->\n" << after_fault;
  EXPECT_TRUE(files_ok) << "files lost or moved:\n" << files_before << "->\n" << media_files(s);
  EXPECT_TRUE(finished) << "the run again did not finish the work after " << c.fault << " at "
                        << c.phase;
  EXPECT_TRUE(backups_ok) << ::testing::PrintToString(problems);
}

INSTANTIATE_TEST_SUITE_P(Phases, FaultMatrix, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           std::string name =
                               std::string(info.param.operation->phases().name) + "_" +
                               info.param.phase.substr(info.param.phase.rfind('.') + 1) + "_" +
                               info.param.fault;
                           for (char& ch : name)
                             ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return name;
                         });

}  // namespace
}  // namespace keepsake
