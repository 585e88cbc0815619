// `keepsake files`: the media folder's files backed up with restic (init, backup, list, check,
// restore). Parses flags, calls src/files/, prints; no business rules here.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "db/connection.h"
#include "files/files_service.h"

extern char** environ;

namespace keepsake::cli {
namespace {

using namespace keepsake::files;

std::map<std::string, std::string> own_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

FilesSettings settings_for(ContextProvider& ctx, const std::string& repo) {
  auto& c = ctx.get();
  return {c.config().media_location, c.config().data_dir, repo, own_environment()};
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

void run_init(ContextProvider& ctx, const std::string& repo) {
  auto result = init_repository(settings_for(ctx, repo));
  std::cout << "Created the restic repository " << result.repository
            << " (saved as the default for `keepsake files`)\n";
  if (result.created_password_file) {
    std::cout << "\nIts password is in " << *result.created_password_file << " (mode 0600).\n"
              << "KEEP A COPY OF THAT FILE ELSEWHERE (a password manager, another disk): without "
                 "it the repository cannot be read, and it lies on this machine.\n";
  }
}

void warn_missing(const storage::ScanSummary& scan) {
  if (scan.irreplaceable.count == 0) return;
  std::cerr << "\n!!! WARNING: " << scan.irreplaceable.count
            << " IRREPLACEABLE FILES (originals, sidecars, profile images) ARE MISSING FROM THE "
               "MEDIA FOLDER !!!\n"
            << "!!! The snapshot is made anyway, without them. `keepsake storage scan` lists "
               "them. !!!\n\n";
}

void run_backup(ContextProvider& ctx, const std::string& repo, const BackupOptions& options) {
  auto& c = ctx.get();
  auto settings = settings_for(ctx, repo);
  c.ensure_database_running();
  auto conn = db::Connection::open(c.database());
  auto r = backup_files(*conn, settings, options);
  warn_missing(r.scan);
  std::cout << "Snapshot " << r.snapshot.short_id << " of " << joined(r.folders) << "\n"
            << "  files: " << r.files_new << " new, " << r.files_changed << " changed, "
            << r.files_unmodified << " unchanged; " << r.bytes_processed << " bytes read, "
            << r.bytes_added << " bytes added to the repository\n"
            << "  database backup: " << r.snapshot.db_backup << "\n"
            << "  scan: " << r.scan.irreplaceable.count << " irreplaceable and "
            << r.scan.regenerable.count << " regenerable files missing, " << r.scan.orphans
            << " orphans\n";
  for (const auto& f : r.unreadable) std::cerr << "  could not read: " << f << "\n";
  if (!r.unreadable.empty()) {
    throw Error(ErrorKind::kIo,
                std::to_string(r.unreadable.size()) + " files could not be read; snapshot " +
                    r.snapshot.short_id + " lacks them",
                "check their permissions");
  }
}

void run_list(ContextProvider& ctx, const std::string& repo) {
  auto snapshots = list_snapshots(settings_for(ctx, repo));
  std::cout << "ID        Time                            Database backup / paths\n";
  for (const auto& s : snapshots) {
    std::cout << s.short_id << "  " << s.time.substr(0, 19) << "  "
              << (s.db_backup.empty() ? "-" : s.db_backup) << "  " << joined(s.paths) << "\n";
  }
  std::cout << snapshots.size() << " snapshots\n";
}

void run_check(ContextProvider& ctx, const std::string& repo, int percent) {
  auto r = check_repository(settings_for(ctx, repo), percent);
  std::cout << r.output;
  if (!r.ok) {
    throw Error(ErrorKind::kCorrupt, "restic check found errors in the repository",
                "see restic's output above");
  }
  std::cout << "Repository check passed\n";
}

void run_restore(ContextProvider& ctx, const std::string& repo, const RestoreOptions& options) {
  auto r = restore_files(settings_for(ctx, repo), options);
  if (options.target.empty()) {
    std::cout << "Restored in place into " << r.target << ": " << r.written
              << " files written (missing or different), " << r.unchanged
              << " already identical; nothing deleted\n";
  } else {
    std::cout << "Restored " << r.written << " files into " << r.target << "\n";
  }
}

}  // namespace

void register_files_commands(CLI::App& app, ContextProvider& ctx) {
  auto* files = app.add_subcommand("files", "Back up the media folder's files with restic");
  files->require_subcommand(1);
  auto repo = std::make_shared<std::string>();
  auto add_repo = [repo](CLI::App* sub) {
    sub->add_option("--repo", *repo,
                    "restic repository: a path (not inside the media folder) or a restic URL "
                    "(sftp:, rest:, ...); default: the one `files init` saved");
  };

  auto* init = files->add_subcommand("init", "Create a restic repository and save it as default");
  add_repo(init);
  init->callback([&ctx, repo] { run_init(ctx, *repo); });

  auto backup = std::make_shared<BackupOptions>();
  auto* b = files->add_subcommand(
      "backup", "Snapshot library/, upload/, profile/ and backups/ after a database-vs-disk scan");
  add_repo(b);
  b->add_flag("--include-regenerable", backup->include_regenerable,
              "Also thumbs/ and encoded-video/ (Immich can make them again)");
  b->callback([&ctx, repo, backup] { run_backup(ctx, *repo, *backup); });

  auto* list = files->add_subcommand("list", "List the snapshots, newest first");
  add_repo(list);
  list->callback([&ctx, repo] { run_list(ctx, *repo); });

  auto percent = std::make_shared<int>(0);
  auto* check = files->add_subcommand("check", "restic check of the repository");
  add_repo(check);
  check->add_option("--read-data-percent", *percent, "Also read this % of the data packs")
      ->check(CLI::Range(0, 100));
  check->callback([&ctx, repo, percent] { run_check(ctx, *repo, *percent); });

  auto restore = std::make_shared<RestoreOptions>();
  auto* r = files->add_subcommand(
      "restore", "Restore a snapshot into a new folder, or in place (missing or different files "
                 "only, nothing deleted)");
  add_repo(r);
  r->add_option("snapshot", restore->snapshot, "Snapshot id (default latest)");
  r->add_option("--target", restore->target, "A new or empty folder (default: in place)");
  r->callback([&ctx, repo, restore] { run_restore(ctx, *repo, *restore); });
}

}  // namespace keepsake::cli
