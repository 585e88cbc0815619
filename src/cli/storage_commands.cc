// `keepsake storage`: check (mount checks on demand), migrate-paths (media-location change) and
// scan (database vs disk). Parses flags, calls src/storage/, prints; no business rules here.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "config/redis_config.h"
#include "db/connection.h"
#include "db/locks.h"
#include "db/write_fence.h"
#include "storage/file_scan.h"
#include "storage/mount_checks.h"
#include "storage/path_migration.h"

namespace keepsake::cli {
namespace {

using namespace keepsake::storage;

void run_check(ContextProvider& ctx) {
  auto& c = ctx.get();
  c.ensure_database_running();
  StorageLayout layout(c.config().media_location);
  MountCheckReport report;
  db::with_lock(c.database(), db::DatabaseLock::SystemFileMounts,
                [&](db::Connection& conn) { report = verify_mounts(conn, layout); });
  std::cout << "Mount checks under " << layout.media_location() << "\n";
  for (const auto& f : report.folders) {
    std::cout << "  " << folder_name(f.folder) << ": "
              << (f.error ? "FAILED" : f.created ? "ok (marker created)" : "ok") << "\n";
    if (f.error) std::cout << "    " << *f.error << "\n";
  }
  if (report.ok()) return;
  if (c.config().ignore_mount_check_errors) {
    std::cout << "IMMICH_IGNORE_MOUNT_CHECK_ERRORS=true: the server would start anyway\n";
  }
  throw Error(ErrorKind::kIo, report.first_error(), "fix the folders listed above");
}

struct MigrateFlags {
  std::string from, to;
  bool dry_run = false;
  bool force = false;
  int batch_size = 10000;
};

void print_counts(const std::vector<ColumnCount>& counts) {
  int64_t total = 0;
  for (const auto& c : counts) {
    std::cout << "  " << c.column << ": " << c.rows << "\n";
    total += c.rows;
  }
  std::cout << "  total: " << total << "\n";
}

void run_migrate(ContextProvider& ctx, const MigrateFlags& flags) {
  auto& c = ctx.get();
  c.ensure_database_running();
  db::with_lock(c.database(), db::DatabaseLock::MediaLocation, [&](db::Connection& conn) {
    auto from = normalize_prefix(flags.from), to = normalize_prefix(flags.to);
    if (auto pending = pending_path_migration(conn)) {
      std::cout << "An interrupted migration from " << pending->from << " to " << pending->to
                << " is pending\n";
    }
    std::cout << "Rows whose path lies under " << from << ":\n";
    print_counts(count_paths_under(conn, from));
    if (flags.dry_run) {
      std::cout << "Dry run: nothing changed\n";
      return;
    }
    PathMigrationOptions options;
    options.batch_size = flags.batch_size;
    options.on_progress = [](const PathMigrationProgress& p) {
      std::cerr << "\r" << p.column << " " << p.column_done << "/" << p.column_total << ", total "
                << p.done << "/" << p.total << std::flush;
    };
    auto fence = db::fence_or_refuse(conn.config(), "media-location change",
                                     restart_channel_configured(), flags.force);
    auto result = migrate_paths(conn, from, to, options);
    if (fence) fence->lift();
    std::cerr << "\n";
    std::cout << (result.resumed ? "Resumed and finished" : "Finished") << ": " << result.total()
              << " paths rewritten from " << from << " to " << to << "\n";
    if (result.media_location_saved) std::cout << "Saved media location: " << to << "\n";
  });
}

struct ScanFlags {
  bool json = false;
  std::string report_file;
  std::string move_orphans;
};

void run_scan(ContextProvider& ctx, const ScanFlags& flags) {
  auto& c = ctx.get();
  StorageLayout layout(c.config().media_location);
  if (!flags.move_orphans.empty()) check_orphan_destination(layout, flags.move_orphans);
  c.ensure_database_running();
  auto conn = db::Connection::open(c.database());
  ScanReport report;
  ScanOptions options;
  options.on_progress = [](const ScanProgress& p) {
    std::cerr << "\rscanned " << p.rows_done << "/" << p.rows_total << " rows, " << p.files_seen
              << " files" << std::flush;
  };
  scan_storage(*conn, layout, report, options);
  std::cerr << "\n";
  if (!flags.move_orphans.empty()) move_orphans(layout, report, flags.move_orphans);
  std::ofstream file;
  if (!flags.report_file.empty()) {
    file.open(flags.report_file, std::ios::trunc);
    if (!file) throw Error(ErrorKind::kIo, "cannot write the report to " + flags.report_file);
  }
  std::ostream& out = flags.report_file.empty() ? std::cout : file;
  if (flags.json) report.write_json(out, layout.media_location());
  else report.write_text(out, layout.media_location());
  out.flush();
  const auto& lost = report.summary.irreplaceable;
  if (lost.count > 0) {
    throw Error(ErrorKind::kConflict,
                std::to_string(lost.count) + " irreplaceable file" +
                    (lost.count == 1 ? " is" : "s are") +
                    " missing (originals, sidecars or profile images)",
                "restore them from a copy of the media folder; the report lists them");
  }
}

constexpr const char* kScanHelp = R"(Missing files come in two classes:
  irreplaceable  the user's own data: original, sidecar (XMP), profile_image
  regenerable    made by Immich's jobs: thumbnail, preview, fullsize, person_thumbnail
                 ("Generate Thumbnails"), encoded_video ("Transcode videos")
  An asset_file type not listed here counts as irreplaceable.
Exit status: 0 when no irreplaceable file is missing (regenerable ones only print a hint naming
the Immich jobs that make them again), 1 when at least one is.
JSON (--json): {"mediaLocation", "summary": {"rows", "files", "missing": {"irreplaceable",
"regenerable"}, "orphans", "foreign", "moved", "notMoved"}, "missing": {"irreplaceable": {"count",
"byKind": {kind: n}, "files": [{"kind", "column", "id", "path"}]}, "regenerable": {"count",
"byKind", "jobs": [{"name", "queue", "kinds"}], "files": [...]}}, "orphans": [{"path"}],
"foreign": [{"column", "id", "path"}]}. "id" is the id of the row in "column"'s table.)";

}  // namespace

void register_storage_commands(CLI::App& app, ContextProvider& ctx) {
  auto* storage = app.add_subcommand("storage", "Check and repair the media folders");
  storage->require_subcommand(1);
  storage->add_subcommand("check", "Run the boot-time mount checks now (lock 300)")
      ->callback([&] { run_check(ctx); });

  auto migrate = std::make_shared<MigrateFlags>();
  auto* m = storage->add_subcommand(
      "migrate-paths", "Rewrite stored paths from one folder to another (lock 700), resumable");
  m->add_option("--from", migrate->from, "The folder the stored paths use now")->required();
  m->add_option("--to", migrate->to, "The folder they should use")->required();
  m->add_flag("--dry-run", migrate->dry_run, "Only print the counts per column");
  m->add_flag("--force", migrate->force,
              "Go on although other clients can neither be told to stop writing nor fenced");
  m->add_option("--batch-size", migrate->batch_size, "Rows per transaction")
      ->check(CLI::Range(1, 1000000));
  m->callback([&ctx, migrate] { run_migrate(ctx, *migrate); });

  auto scan = std::make_shared<ScanFlags>();
  auto* s = storage->add_subcommand(
      "scan",
      "Compare the database with the disk: missing files (irreplaceable / regenerable), orphans, "
      "foreign paths; exit 1 when an irreplaceable file is missing");
  s->footer(kScanHelp);
  s->add_flag("--json", scan->json, "Write the report as JSON");
  s->add_option("--report", scan->report_file, "Write the report to this file (default stdout)");
  s->add_option("--move-orphans", scan->move_orphans,
                "Move orphan files into this folder (outside the managed folders)");
  s->callback([&ctx, scan] { run_scan(ctx, *scan); });
}

}  // namespace keepsake::cli
