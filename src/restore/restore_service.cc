#include "restore/restore_service.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "auth/user_repository.h"
#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "common/error.h"
#include "common/fault_point.h"
#include "common/utc_time.h"
#include "config/redis_config.h"
#include "db/index_build_memory.h"
#include "db/system_metadata.h"
#include "db/write_fence.h"
#include "migrations/boot.h"
#include "pitr/pitr.h"
#include "restore/database_swap.h"
#include "restore/dump_loader.h"
#include "schema/drift_check.h"
#include "schema/immich_schema.h"
#include "vector/index_manager.h"

namespace keepsake::restore {
namespace {

using Clock = std::chrono::system_clock;

void fault_point(std::string_view point) { fault::point("restore." + std::string(point)); }

DatabaseConfig with_database(const DatabaseConfig& c, const std::string& name) {
  DatabaseConfig out = c;
  out.dbname = name;
  return out;
}


class Reporter {
 public:
  explicit Reporter(const std::function<void(const RestoreProgress&)>& fn) : fn_(fn) {}
  void operator()(const std::string& task, double progress, const std::string& message = {}) const {
    if (fn_) fn_({task, std::min(1.0, std::max(0.0, progress)), message});
  }

 private:
  const std::function<void(const RestoreProgress&)>& fn_;
};

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(bytes) / (1ULL << 30));
  return buf;
}

// The restored database needs about the dump's size (or the live database's, if larger) in the
// PostgreSQL data directory. Checked when that directory is visible from here; skipped otherwise.
void check_free_space(db::Connection& live, const DumpPlan& plan) {
  std::string dir;
  uint64_t live_size = 0;
  try {
    dir = live.exec("SHOW data_directory").text(0, 0);
    live_size = static_cast<uint64_t>(live.exec("SELECT pg_database_size(current_database())").int64(0, 0));
  } catch (const Error& e) {
    spdlog::info("Restore: free disk space not checked ({})", e.what());
    return;
  }
  struct statvfs st{};
  if (statvfs(dir.c_str(), &st) != 0) {
    spdlog::info("Restore: free disk space not checked (the data directory {} is on another machine)", dir);
    return;
  }
  uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  uint64_t need = std::max(plan.sql_bytes, live_size) / 10 * 12;
  if (free_bytes < need) {
    throw Error(ErrorKind::kUnavailable,
                "not enough free disk space for the restore: about " + gib(need) + " needed in " + dir + ", " +
                    gib(free_bytes) + " free",
                "free some space (or remove old *_before_restore_* databases with `keepsake restore cleanup`) and retry; "
                "nothing was changed");
  }
}

schema::SchemaOptions schema_options_of(db::Connection& conn) {
  schema::SchemaOptions o;
  o.vector = schema::installed_vector_flavour(conn);
  o.clip_dimension = vector::get_dimension_size(conn, "smart_search");
  o.face_dimension = vector::get_dimension_size(conn, "face_search");
  return o;
}

// The vector indexes belong to the vector module: one that a backup lacks (dumped without it, or
// left out by `keepsake dev seed --no-vector-indexes`) or defines otherwise is rebuilt in the
// background after the next start, as reindexVectorsIfNeeded does, so it does not make the backup
// unusable.
bool is_vector_index_item(const schema::DriftItem& item) {
  const auto& names = vector::vector_index_names();
  return item.kind == schema::DriftKind::kIndex &&
         std::find(names.begin(), names.end(), item.name) != names.end();
}

// What a restored database must be before it goes live: an Immich v2.7.5 database with an admin
// and no schema drift (drift of a vector index only warns).
void check_restored(db::Connection& conn) {
  if (!auth::UserRepository(conn).admin_exists()) {
    throw Error(ErrorKind::kInvalidArgument, "Server health check failed, no admin exists.",
                "the backup holds no admin user; choose a backup of a server that was set up");
  }
  auto items = schema::detect_drift(conn, schema::immich_schema(schema_options_of(conn)));
  std::erase_if(items, [](const schema::DriftItem& item) {
    if (!is_vector_index_item(item)) return false;
    spdlog::warn("Restore: {} in the backup; it is rebuilt in the background after the next start",
                 item.description);
    return true;
  });
  if (!items.empty()) {
    std::string list;
    for (size_t i = 0; i < items.size() && i < 5; ++i) list += (i ? "; " : "") + items[i].description;
    if (items.size() > 5) list += "; and " + std::to_string(items.size() - 5) + " more";
    throw Error(ErrorKind::kCorrupt, "the restored database is not Immich v2.7.5's schema: " + list,
                "restore a backup made by Immich v2.7.5 or Keepsake");
  }
}

std::function<void(std::string_view)> fault_checkpoint() {
  return [](std::string_view point) { fault_point(point); };
}

void boot_restored(const Config& config, const DatabaseConfig& restored) {
  auto options = migrations::boot_options_from_config(config);
  options.skip_migrations = false;
  migrations::run_database_boot(restored, options);
}

RestoreResult restore_beside(const RestoreOptions& o, const DumpPlan& plan, db::Connection& admin,
                             const Reporter& report) {
  RestoreResult result;
  const std::string live = o.config.db.dbname;
  auto names = restore_names(live, Clock::now());
  create_scratch_database(admin, live, names.scratch);
  admin.exec("COMMENT ON DATABASE " + db::quote_ident(names.scratch) + " IS " +
                 db::quote_literal("keepsake restore of " + o.filename),
             {}, "label the scratch database");
  try {
    copy_database_settings(admin, live, names.scratch);
    fault_point("scratch-created");
    DatabaseConfig scratch = with_database(o.config.db, names.scratch);
    LoadOptions lo;
    lo.connections = o.connections;
    lo.maintenance_work_mem =
        o.maintenance_work_mem.empty() ? db::machine_maintenance_work_mem(o.connections) : o.maintenance_work_mem;
    {
      auto c = db::Connection::open(scratch);
      lo.policy = load_policy_for(*c, false);
    }
    lo.checkpoint = fault_checkpoint();
    lo.progress = [&](const LoadProgress& p) {
      report("restore", 0.1 + 0.75 * (p.total ? static_cast<double>(p.done) / p.total : 1.0), p.phase);
    };
    auto loaded = load_dump(plan, scratch, lo);
    spdlog::info("Restore: loaded {} rows ({} through COPY BINARY) in {:.1f} s ({})", loaded.rows,
                 loaded.binary_rows, loaded.seconds, loaded.timings);
    result.rows = loaded.rows;
    result.notes = loaded.notes;
    report("migrations", 0.87, "running migrations on the restored database");
    ready_for_swap(o, scratch, names.previous);
    fault_point("before-swap");
    report("swap", 0.95, "putting the restored database in place");
    swap_databases(admin, names);
  } catch (...) {
    try {
      drop_restore_database(admin, live, names.scratch);
    } catch (const std::exception& e) {
      spdlog::warn("Restore: could not remove the scratch database {}: {}", names.scratch, e.what());
    }
    throw;
  }
  fault_point("after-swap");
  finish_swap(o.config.db);
  result.strategy = RestoreStrategy::kBeside;
  result.previous_database = names.previous;
  return result;
}

// Resets the schema inside the restore's transaction, keeping installed extensions (a role that
// is not a superuser could not create them again): Keepsake's schema goes whole, then every
// relation, routine and type of public that no extension owns.
const char* kInPlaceReset = R"SQL(DO $keepsake$
DECLARE r record;
BEGIN
  DROP SCHEMA IF EXISTS keepsake CASCADE;
  FOR r IN SELECT c.oid, c.relkind FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                             AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
           ORDER BY c.relkind NOT IN ('r', 'p')
  LOOP
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = r.oid) THEN
      EXECUTE format('DROP %s %s CASCADE',
                     CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                    WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                     r.oid::regclass);
    END IF;
  END LOOP;
  FOR r IN SELECT p.oid, p.prokind FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                             AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    IF EXISTS (SELECT 1 FROM pg_proc WHERE oid = r.oid) THEN
      EXECUTE format('DROP %s %s CASCADE',
                     CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                     r.oid::regprocedure);
    END IF;
  END LOOP;
  FOR r IN SELECT t.oid, t.typtype FROM pg_type t
           WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r')
             AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                             AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    IF EXISTS (SELECT 1 FROM pg_type WHERE oid = r.oid) THEN
      EXECUTE format('DROP %s %s CASCADE', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                     r.oid::regtype);
    END IF;
  END LOOP;
END $keepsake$)SQL";

const char* kTerminateOthers =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "  AND coalesce(application_name, '') NOT IN ('keepsake-maintenance', 'keepsake-restore', 'keepsake-fence') "
    "  AND ((SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(usesysid, 'MEMBER'))";

LoadReport load_in_place(const DumpPlan& plan, const RestoreOptions& o,
                         const std::function<void(db::Connection&)>& before_commit,
                         const std::function<void(const LoadProgress&)>& progress) {
  LoadOptions lo;
  lo.single_transaction = true;
  lo.prelude = {kTerminateOthers, kInPlaceReset};
  {
    auto c = db::Connection::open(o.config.db);
    lo.policy = load_policy_for(*c, true);
  }
  lo.maintenance_work_mem = o.maintenance_work_mem;
  lo.checkpoint = fault_checkpoint();
  lo.progress = progress;
  lo.before_commit = before_commit;
  return load_dump(plan, o.config.db, lo);
}

RestoreResult restore_in_place(const RestoreOptions& o, const DumpPlan& plan, const Reporter& report) {
  RestoreResult result;
  result.strategy = RestoreStrategy::kInPlace;
  report("backup", 0.05, "making a restore-point backup");
  std::string restore_point_path;
  try {
    backup::BackupOptions b;
    b.db = o.config.db;
    b.media_location = o.config.media_location;
    b.prefix = "restore-point-";
    auto point = backup::create_backup(b);
    result.restore_point = point.filename;
    restore_point_path = point.path;
  } catch (const Error& e) {
    // Immich stops here; Keepsake does not need the restore point to stay safe (the restore is
    // one transaction), so a database too damaged to dump can still be restored.
    spdlog::warn("Restore: the restore-point backup failed ({}); continuing, because the restore runs in "
                 "one transaction that leaves the database as it is on any failure",
                 e.what());
  }
  fault_point("restore-point");
  auto checks = [&](db::Connection& conn) {
    conn.exec("RESET search_path", {}, "leave the dump's empty search_path");
    if (migrations::inspect_immich_state(conn) != migrations::ImmichState::kUpToDate) {
      throw Error(ErrorKind::kInvalidArgument, "the backup is not of an Immich v2.7.5 database",
                  "restore a backup made by Immich v2.7.5 or Keepsake");
    }
    check_restored(conn);
    if (o.prepare_restored) o.prepare_restored(conn);
  };
  auto loaded = load_in_place(plan, o, checks, [&](const LoadProgress& p) {
    report("restore", 0.15 + 0.75 * (p.total ? static_cast<double>(p.done) / p.total : 1.0), p.phase);
  });
  result.rows = loaded.rows;
  result.notes = loaded.notes;
  fault_point("committed");
  report("migrations", 0.92, "running migrations");
  try {
    boot_restored(o.config, o.config.db);
  } catch (const Error& e) {
    if (restore_point_path.empty()) throw;
    spdlog::error("Restore: the restored database failed its boot ({}); rolling back from {}", e.what(),
                  result.restore_point);
    report("rollback", 0, "rolling back from the restore point");
    ScanOptions scan;
    scan.target_database = o.config.db.dbname;
    auto point = scan_dump(restore_point_path, scan);
    load_in_place(point, o, {}, [&](const LoadProgress& p) {
      report("rollback", p.total ? static_cast<double>(p.done) / p.total : 1.0, p.phase);
    });
    throw;
  }
  return result;
}

}  // namespace

void ready_for_swap(const RestoreOptions& o, const DatabaseConfig& restored, const std::string& previous) {
  boot_restored(o.config, restored);
  fault_point("migrated");
  auto conn = db::Connection::open(restored);
  check_restored(*conn);
  db::SystemMetadataRepository(*conn).upsert(
      kRestoreJournalKey, {{"status", "swapping"}, {"file", o.filename}, {"live", o.config.db.dbname},
                           {"previous", previous}, {"swappedAt", iso8601_utc()}});
  if (o.prepare_restored) o.prepare_restored(*conn);
}

void finish_swap(const DatabaseConfig& live) {
  db::SystemMetadataRepository(*db::Connection::open(live)).remove(kRestoreJournalKey);
}

const char* strategy_name(RestoreStrategy s) {
  switch (s) {
    case RestoreStrategy::kAuto: return "auto";
    case RestoreStrategy::kBeside: return "beside";
    case RestoreStrategy::kInPlace: return "in-place";
    case RestoreStrategy::kDataFolder: return "data folder";
  }
  return "?";
}

RestoreResult restore_database(const RestoreOptions& o) {
  auto start = std::chrono::steady_clock::now();
  Reporter report(o.progress);
  std::string path = o.stream ? "" : backup::resolve_backup_path(backup::backups_folder(o.config.media_location), o.filename);
  spdlog::info("Database Restore Starting: {} ({} strategy requested)", o.filename, strategy_name(o.strategy));
  try {
    report("restore", 0, "checking the backup file");
    ScanOptions scan_options;
    scan_options.target_database = o.config.db.dbname;
    uint64_t file_size = o.stream ? 0 : std::filesystem::file_size(path);
    scan_options.progress = [&](uint64_t done) {
      report("restore", 0.1 * static_cast<double>(done) / std::max<uint64_t>(file_size, done), "checking the backup file");
    };
    auto plan = o.stream ? scan_dump_stream(o.filename, o.stream, scan_options) : scan_dump(path, scan_options);
    spdlog::info("Restore: {} checked in {:.1f} s: {} of SQL, {} statements, {} rows{}", o.filename,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 gib(plan.sql_bytes), plan.items.size(), plan.copy_rows,
                 plan.kind == DumpKind::kCluster ? " (cluster dump; database " + plan.database + ")" : "");
    fault_point("scanned");
    {
      auto live = db::Connection::open(o.config.db);
      check_free_space(*live, plan);
    }
    auto admin = open_admin_connection(o.config.db);
    auto caps = read_swap_capabilities(*admin, o.config.db.dbname, plan.extensions);
    RestoreStrategy strategy = o.strategy;
    if (strategy == RestoreStrategy::kAuto) {
      strategy = caps.can_restore_beside() ? RestoreStrategy::kBeside : RestoreStrategy::kInPlace;
      if (strategy == RestoreStrategy::kInPlace) {
        spdlog::warn("Restore: restoring in place, because {}", caps.why_not());
      }
    } else if (strategy == RestoreStrategy::kBeside && !caps.can_restore_beside()) {
      throw Error(ErrorKind::kForbidden, "cannot restore beside the live database: " + caps.why_not(),
                  "grant CREATEDB and ownership of the database, restore as a superuser, or restore in place");
    }
    auto fence = db::fence_or_refuse(o.config.db, "restore of " + o.filename, restart_channel_configured(),
                                     o.force);
    fault_point("fenced");
    pitr::create_restore_point(*admin, o.config, "restore");
    RestoreResult result = strategy == RestoreStrategy::kBeside ? restore_beside(o, plan, *admin, report)
                                                                : restore_in_place(o, plan, report);
    if (fence) fence->lift();
    result.kind = plan.kind;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report(strategy == RestoreStrategy::kBeside ? "swap" : "migrations", 1.0, "done");
    spdlog::info("Database Restore Success: {} in {:.1f} s ({}{})", o.filename, result.seconds, strategy_name(strategy),
                 result.previous_database.empty() ? "" : "; the previous database is kept as " + result.previous_database);
    for (auto& note : result.notes) spdlog::info("Restore: skipped {}", note);
    return result;
  } catch (const Error& e) {
    spdlog::error("Database Restore Failure: {}", e.full_message());
    if (std::string(e.what()).find(o.filename) != std::string::npos) throw;
    throw Error(e.kind(), "restore of " + o.filename + ": " + e.what(), e.hint(), e.sqlstate());
  }
}

RecoveryReport recover_restores(const DatabaseConfig& live, int keep_days) {
  RecoveryReport report;
  report.messages = db::lift_abandoned_fences(live);
  fault_point("recovery.fences-lifted");
  std::unique_ptr<db::Connection> admin;
  try {
    admin = open_admin_connection(live);
  } catch (const Error& e) {
    report.messages.push_back("restore leftovers not checked: " + std::string(e.what()));
    return report;
  }
  for (auto& d : find_restore_databases(*admin, live.dbname)) {
    try {
      if (d.scratch) {
        if (d.connections > 0) {
          report.messages.push_back("a restore into " + d.name + " is running (it has sessions); left alone");
          continue;
        }
        auto label = admin->exec("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                                 {d.name});
        std::string file = label.empty() ? "" : label.text(0, 0);
        if (file.rfind("keepsake restore of ", 0) == 0) file = file.substr(20);
        fault_point("recovery.scratch-found");
        drop_restore_database(*admin, live.dbname, d.name);
        report.interrupted_file = file;
        report.messages.push_back("the restore" + (file.empty() ? "" : " of " + file) +
                                  " was interrupted before its swap: the live database " + live.dbname +
                                  " was not changed; the unfinished copy " + d.name + " was removed");
      } else if (keep_days > 0 && d.created && Clock::now() - *d.created > std::chrono::hours(24 * keep_days)) {
        drop_restore_database(*admin, live.dbname, d.name);
        report.messages.push_back("removed " + d.name + ", the database a restore replaced, after " +
                                  std::to_string(keep_days) + " days");
      }
    } catch (const Error& e) {
      report.messages.push_back("could not clean up " + d.name + ": " + e.what());
    }
  }
  try {
    auto conn = db::Connection::open(live);
    db::SystemMetadataRepository repo(*conn);
    auto journal = repo.get(kRestoreJournalKey);
    if (journal && journal->value("status", "") == "swapping") {
      std::string file = journal->value("file", "");
      report.completed_file = file;
      report.messages.push_back("the restore of " + file + " completed (its database went live at " +
                                journal->value("swappedAt", "?") + "); the previous database is kept as " +
                                journal->value("previous", "?"));
      fault_point("recovery.journal-found");
      repo.remove(kRestoreJournalKey);
    }
  } catch (const Error& e) {
    if (e.sqlstate() != "42P01") report.messages.push_back("restore journal not checked: " + std::string(e.what()));
  }
  for (auto& m : report.messages) spdlog::warn("Restore: {}", m);
  return report;
}

std::vector<std::string> cleanup_restore_databases(const DatabaseConfig& live, std::chrono::hours older_than) {
  auto admin = open_admin_connection(live);
  std::vector<std::string> dropped;
  for (auto& d : find_restore_databases(*admin, live.dbname)) {
    if (d.scratch && d.connections > 0) continue;
    if (!d.scratch && older_than.count() > 0 && d.created && Clock::now() - *d.created < older_than) continue;
    drop_restore_database(*admin, live.dbname, d.name);
    dropped.push_back(d.name);
  }
  return dropped;
}

}  // namespace keepsake::restore
