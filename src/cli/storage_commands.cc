// `keepsake storage`: check (mount checks on demand), migrate-paths (media-location change) and
// scan (database vs disk). Parses flags, calls src/storage/, prints; no business rules here.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "config/redis_config.h"
#include "db/connection.h"
#include "db/locks.h"
#include "db/write_fence.h"
#include "storage/checksum_verify.h"
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
  // A migration killed behind its write fence left the database read-only for new sessions.
  for (const auto& m : db::lift_abandoned_fences(c.database())) std::cerr << m << "\n";
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
  ProgressBar bar("scan", "rows");
  options.on_progress = [&](const ScanProgress& p) {
    bar.update(static_cast<double>(p.rows_done), static_cast<double>(p.rows_total),
               std::to_string(p.files_seen) + " files seen");
  };
  scan_storage(*conn, layout, report, options);
  bar.finish();
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

struct VerifyFlags {
  bool all = false;
  bool json = false;
  double max_mb_per_second = 0;
  int64_t max_assets = 0;
};

nlohmann::json verify_json(const VerifyResult& r) {
  auto findings = nlohmann::json::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"assetId", f.asset_id},
                        {"ownerId", f.owner_id},
                        {"ownerEmail", f.owner_email},
                        {"path", f.path},
                        {"problem", f.problem}});
  }
  return {{"pass",
           {{"startedAt", r.pass_started_at},
            {"checked", r.checked_in_pass},
            {"total", r.total},
            {"complete", r.pass_complete},
            {"resumed", r.resumed}}},
          {"run",
           {{"checked", r.checked_this_run},
            {"bytes", r.bytes_this_run},
            {"seconds", r.seconds},
            {"mbPerSecond", r.seconds > 0 ? r.bytes_this_run / 1e6 / r.seconds : 0.0}}},
          {"findings", findings}};
}

void write_verify_text(std::ostream& out, const VerifyResult& r) {
  out << "Checksum verification of originals, pass started " << r.pass_started_at
      << (r.resumed ? " (resumed)" : "") << "\n"
      << "  checked: " << r.checked_in_pass << "/" << r.total
      << (r.pass_complete ? " (pass complete)" : " (pass unfinished: the next run continues)")
      << "\n"
      << "  this run: " << r.checked_this_run << " originals, " << std::fixed
      << std::setprecision(1) << r.bytes_this_run / 1e6 << " MB in " << r.seconds << " s\n"
      << "  problems: " << r.findings.size() << "\n";
  if (r.findings.empty()) return;
  out << "\nDamaged or missing originals (problem, asset id, owner, path):\n";
  for (const auto& f : r.findings) {
    out << "  " << f.problem << "  " << f.asset_id << "  "
        << (f.owner_email.empty() ? f.owner_id : f.owner_email) << "  " << f.path << "\n";
  }
}

void run_verify(ContextProvider& ctx, const VerifyFlags& flags) {
  auto& c = ctx.get();
  c.ensure_database_running();
  auto conn = db::Connection::open(c.database());
  VerifyOptions options;
  options.restart = flags.all;
  options.max_mb_per_second = flags.max_mb_per_second;
  options.max_assets = flags.max_assets;
  ProgressBar bar("verify", "originals");
  options.on_progress = [&](const VerifyProgress& p) {
    bar.update(static_cast<double>(p.checked_in_pass), static_cast<double>(p.total),
               std::to_string(p.bytes_this_run / 1000000) + " MB read");
  };
  auto result = verify_checksums(*conn, options);
  bar.finish();
  if (flags.json) std::cout << verify_json(result).dump(2) << "\n";
  else write_verify_text(std::cout, result);
  std::cout.flush();
  if (!result.findings.empty()) {
    auto n = result.findings.size();
    throw Error(ErrorKind::kConflict,
                std::to_string(n) + " original" + (n == 1 ? " is" : "s are") +
                    " damaged or missing",
                "restore them from a copy of the media folder; the report lists them");
  }
}

constexpr const char* kVerifyHelp = R"(Problems: missing (no file), damaged (content SHA-1 differs
from asset.checksum), unreadable (cannot be read), path-changed (sha1-path assets of external
libraries: SHA-1 of "path:" + originalPath differs).
A pass covers every asset not in status 'deleted', in id order. Progress and findings are kept in
the database (schema keepsake): a run that stops is continued by the next; a finished pass is
followed by a new one; --all starts over. Exit status 1 when the pass so far found a problem.
JSON (--json): {"pass": {"startedAt", "checked", "total", "complete", "resumed"}, "run":
{"checked", "bytes", "seconds", "mbPerSecond"}, "findings": [{"assetId", "ownerId", "ownerEmail",
"path", "problem"}]}.)";

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

  auto verify = std::make_shared<VerifyFlags>();
  auto* v = storage->add_subcommand(
      "verify",
      "Check originals against their SHA-1 (asset.checksum), resumable; exit 1 when one is "
      "damaged or missing");
  v->footer(kVerifyHelp);
  v->add_flag("--all", verify->all, "Start a new pass from the first asset");
  v->add_flag("--json", verify->json, "Write the report as JSON");
  v->add_option("--max-mb-per-second", verify->max_mb_per_second,
                "Read at most this many MB/s (default unthrottled)")
      ->check(CLI::NonNegativeNumber);
  v->add_option("--max-assets", verify->max_assets,
                "Stop after this many originals (a slice; the next run continues)")
      ->check(CLI::NonNegativeNumber);
  v->callback([&ctx, verify] { run_verify(ctx, *verify); });
}

}  // namespace keepsake::cli
