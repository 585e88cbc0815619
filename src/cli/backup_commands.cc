// `keepsake backup create|list|verify <file>|prune`: Immich-compatible database backups in
// <media>/backups; list adds the library points (database backup + file snapshot, docs/FILES.md)
// when a restic repository is set up. create runs the DatabaseBackup job (lock 42, backup, retention) and shows a
// progress bar (bytes and rate) when stderr is a terminal.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "config/system_config.h"
#include "db/connection.h"

namespace keepsake::cli {
namespace {

std::string folder_of(app::AppContext& c) { return backup::backups_folder(c.config().media_location); }

void create(ContextProvider& ctx, int lock_wait_seconds) {
  auto& c = ctx.get();
  c.ensure_database_running();
  backup::JobOptions job;
  job.backup.db = c.database();
  job.backup.media_location = c.config().media_location;
  job.lock_timeout = std::chrono::seconds(lock_wait_seconds);
  ProgressBar bar("backup", "B");
  job.backup.progress = [&](const backup::BackupProgress& p) {
    bar.update(static_cast<double>(p.phase == "dump" ? p.dump_bytes : p.file_bytes), 0,
               p.phase + ", file " + std::to_string(p.file_bytes >> 20) + " MiB");
  };
  std::optional<backup::BackupResult> r;
  try {
    r = backup::run_database_backup_job(job);
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();
  if (!r) throw Error(ErrorKind::kConflict, "the backup was skipped");
  std::cout << r->path << "\n"
            << "  size " << human_bytes(static_cast<double>(r->size)) << " (SQL "
            << human_bytes(static_cast<double>(r->uncompressed_size)) << "), verified, sha256 "
            << r->sha256 << ", " << r->seconds << " s\n";
}

std::string files_state(const files::LibraryPoint& p) {
  if (p.files_checked_at.empty()) return "unchecked";
  return "checked " + p.files_checked_at.substr(0, 10) + " (" +
         std::to_string(p.files_read_data_percent) + "% data)";
}

void print_points(const std::vector<files::LibraryPoint>& points) {
  std::cout << "\nLibrary points (database backup + file snapshot), newest first:\n";
  for (const auto& p : points) {
    std::cout << "  " << p.snapshot.short_id << "  " << p.snapshot.time.substr(0, 19) << "  "
              << p.database_backup << " [" << p.database_state << "]  files ["
              << files_state(p) << "]  scan: " << p.missing_irreplaceable
              << " irreplaceable missing";
    if (p.missing_irreplaceable > 0) std::cout << " (!)";
    std::cout << "  in " << files::shown_repository(p.repository);
    std::cout << "\n";
  }
  std::cout << "  " << points.size() << " library points"
            << (points.empty() ? " (`keepsake files backup` makes one)" : "") << "\n";
}

// The library points of the saved restic repositories; a repository that cannot be read is
// reported, not thrown, so the database backups and the other repositories' points are listed
// whatever happens to one repository.
std::optional<std::vector<files::LibraryPoint>> library_points(ContextProvider& ctx,
                                                               std::string& problem) {
  auto settings = files_settings(ctx, "");
  if (!files::has_repository(settings)) return std::nullopt;
  std::vector<std::string> unreadable;
  try {
    auto points = files::list_library_points(settings, &unreadable);
    for (const auto& u : unreadable) problem += (problem.empty() ? "" : "; ") + u;
    return points;
  } catch (const Error& e) {
    problem = e.full_message();
    return std::nullopt;
  }
}

void list(ContextProvider& ctx, bool as_json) {
  auto backups = backup::list_backups(folder_of(ctx.get()));
  std::string problem;
  auto points = library_points(ctx, problem);
  if (as_json) {
    nlohmann::json out{{"backups", nlohmann::json::array()}, {"libraryPoints", nullptr}};
    for (auto& f : backups) out["backups"].push_back({{"filename", f.filename}, {"filesize", f.filesize}});
    if (points) {
      out["libraryPoints"] = nlohmann::json::array();
      for (const auto& p : *points) out["libraryPoints"].push_back(files::library_point_json(p));
    }
    if (!problem.empty()) out["libraryPointsError"] = problem;
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (auto& f : backups) std::cout << f.filename << "\t" << human_bytes(static_cast<double>(f.filesize)) << "\n";
  if (points) print_points(*points);
  if (!problem.empty()) std::cerr << "library points unavailable: " << problem << "\n";
}

void verify(ContextProvider& ctx, const std::string& file) {
  std::string path = file.find('/') == std::string::npos
                         ? backup::resolve_backup_path(folder_of(ctx.get()), file)
                         : file;
  ProgressBar bar("verify", "B");
  std::error_code size_error;
  auto size = std::filesystem::file_size(path, size_error);
  backup::VerifyResult v;
  try {
    v = backup::verify_backup_file(path, [&](uint64_t read) {
      bar.update(static_cast<double>(read), size_error ? 0 : static_cast<double>(size));
    });
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();
  std::cout << "OK " << path << "\n  " << (v.compressed ? "gzip, CRC and length checked, " : "plain SQL, ")
            << "SQL " << human_bytes(static_cast<double>(v.uncompressed_size))
            << ", pg_dump completion trailer present, "
            << (v.sidecar_checked ? "matches its .sha256" : "no .sha256 sidecar") << "\n";
}

void prune(ContextProvider& ctx, int keep) {
  auto& c = ctx.get();
  if (keep <= 0) {
    c.ensure_database_running();
    auto conn = db::Connection::open(c.database());
    keep = config::database_backup_settings(config::load_system_config(*conn)).keep_last_amount;
  }
  auto deleted = backup::prune_backups(folder_of(c), keep);
  for (auto& n : deleted) std::cout << "deleted " << n << "\n";
  std::cout << deleted.size() << " file(s) deleted, keeping the newest " << keep << " routine backups\n";
}

}  // namespace

void register_backup_commands(CLI::App& app, ContextProvider& ctx) {
  auto* group = app.add_subcommand("backup", "Immich-compatible database backups in <media>/backups");
  group->require_subcommand(1);

  static int lock_wait = 60;
  auto* c = group->add_subcommand("create", "Back up the database now (then apply retention)");
  c->add_option("--lock-wait", lock_wait, "seconds to wait for another running backup (lock 42)");
  c->callback([&] { create(ctx, lock_wait); });

  static bool as_json = false;
  auto* l = group->add_subcommand("list", "List backups and library points, newest first");
  l->add_flag("--json", as_json, "print JSON: {backups: [...], libraryPoints: [...] or null}");
  l->callback([&] { list(ctx, as_json); });

  static std::string file;
  auto* v = group->add_subcommand("verify", "Decompress a backup fully and check it");
  v->add_option("file", file, "a name in the backups folder, or a path")->required();
  v->callback([&] { verify(ctx, file); });

  static int keep = 0;
  auto* p = group->add_subcommand("prune", "Apply retention: keep the newest keepLastAmount routine backups");
  p->add_option("--keep", keep, "override backup.database.keepLastAmount");
  p->callback([&] { prune(ctx, keep); });
}

}  // namespace keepsake::cli
