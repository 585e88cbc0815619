// `keepsake files`: the media folder's files backed up with restic (init, backup, list, check,
// restore, forget, remove). Parses flags, calls src/files/, prints (progress on stderr); no business
// rules here.
#include <functional>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "db/connection.h"
#include "files/files_service.h"

namespace keepsake::cli {
namespace {

using namespace keepsake::files;

// --repo and its restic options (-o), as every `files` command takes them.
struct RepoFlags {
  std::string repository;
  std::vector<std::string> options;
};

FilesSettings settings_for(ContextProvider& ctx, const RepoFlags& repo) {
  auto settings = files_settings(ctx, repo.repository);
  settings.options = repo.options;
  return settings;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

void run_init(ContextProvider& ctx, const RepoFlags& repo) {
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

void run_backup(ContextProvider& ctx, const RepoFlags& repo, BackupOptions options) {
  auto& c = ctx.get();
  auto settings = settings_for(ctx, repo);
  c.ensure_database_running();
  auto conn = db::Connection::open(c.database());
  options.database = c.database();
  ProgressBar bar("files backup", "");
  options.progress = [&](const std::string& phase, double percent) {
    bar.update(percent < 0 ? 0 : percent / 100, percent < 0 ? 0 : 1, phase);
  };
  auto r = backup_files(*conn, settings, options);
  bar.finish();
  warn_missing(r.scan);
  std::cout << "Snapshot " << r.snapshot.short_id << " of " << joined(r.folders) << "\n"
            << "  files: " << r.files_new << " new, " << r.files_changed << " changed, "
            << r.files_unmodified << " unchanged; " << r.bytes_processed << " bytes read, "
            << r.bytes_added << " bytes added to the repository\n"
            << "  database backup: " << r.snapshot.db_backup
            << (r.database_backup_made ? " (made now)" : " (newest verified)") << "\n"
            << "  scan: " << r.scan.irreplaceable.count << " irreplaceable and "
            << r.scan.regenerable.count << " regenerable files missing, " << r.scan.orphans
            << " orphans\n";
  const RepositorySnapshot* failed = nullptr;
  for (const auto& made : r.repositories) {
    std::cout << "  in " << made.repository << ": "
              << (made.error.empty() ? "snapshot " + made.snapshot.short_id : "FAILED") << "\n";
    if (made.error.empty()) continue;
    std::cerr << "no snapshot in " << made.repository << ": " << made.error << "\n";
    failed = &made;
  }
  for (const auto& f : r.unreadable) std::cerr << "  could not read: " << f << "\n";
  if (failed) {
    throw Error(failed->error_kind, "the snapshot failed in some repositories (above)",
                "the others hold it; run `keepsake files backup` again once they are reachable");
  }
  if (!r.unreadable.empty()) {
    throw Error(ErrorKind::kIo,
                std::to_string(r.unreadable.size()) + " files could not be read; snapshot " +
                    r.snapshot.short_id + " lacks them",
                "check their permissions");
  }
}

// The repositories a command runs on: the one given with --repo, or every one `init` saved.
std::vector<FilesSettings> each_repository(ContextProvider& ctx, const RepoFlags& repo) {
  auto settings = settings_for(ctx, repo);
  std::vector<FilesSettings> out;
  for (const auto& r : configured_repositories(settings)) out.push_back(for_repository(settings, r));
  return out;
}

// Runs `one` on each repository, under a "== <repository>" line when there are several. One that
// fails (locked, unreachable, wrong password) is named on stderr and the next one is still done;
// then the failure is thrown. With one repository its failure is thrown as it is.
void on_each_repository(ContextProvider& ctx, const RepoFlags& repo,
                        const std::function<void(const FilesSettings&, const std::string& shown)>& one) {
  auto all = each_repository(ctx, repo);
  std::optional<Error> first_failure;
  int failed = 0;
  for (const auto& settings : all) {
    auto shown = shown_repository(configured_repository(settings));
    if (all.size() > 1) std::cout << "== " << shown << "\n";
    try {
      one(settings, shown);
    } catch (const Error& e) {
      if (all.size() == 1) throw;
      std::cerr << "could not use the repository " << shown << ": " << e.full_message() << "\n";
      if (!first_failure) first_failure = e;
      ++failed;
    }
  }
  if (first_failure) {
    throw Error(first_failure->kind(),
                std::to_string(failed) + " of " + std::to_string(all.size()) +
                    " repositories could not be used (above)",
                "the others were done; run the command again once they are reachable");
  }
}

void run_list(ContextProvider& ctx, const RepoFlags& repo) {
  on_each_repository(ctx, repo, [](const FilesSettings& one, const std::string&) {
    auto snapshots = list_snapshots(one);
    std::cout << "ID        Time                            Database backup / paths\n";
    for (const auto& s : snapshots) {
      std::cout << s.short_id << "  " << s.time.substr(0, 19) << "  "
                << (s.db_backup.empty() ? "-" : s.db_backup) << "  " << joined(s.paths) << "\n";
    }
    std::cout << snapshots.size() << " snapshots\n";
  });
}

void run_check(ContextProvider& ctx, const RepoFlags& repo, int percent) {
  int damaged = 0;
  on_each_repository(ctx, repo, [&](const FilesSettings& one, const std::string& shown) {
    auto r = check_repository(one, percent > 0 ? std::to_string(percent) + "%" : "");
    std::cout << r.output;
    std::cout << (r.ok ? "Repository check passed: " : "REPOSITORY DAMAGED: ") << shown << "\n";
    damaged += r.ok ? 0 : 1;
  });
  if (damaged > 0) {
    throw Error(ErrorKind::kCorrupt,
                "restic check found errors in " + std::to_string(damaged) + " repository(ies)",
                "see restic's output above");
  }
}

void run_repair(ContextProvider& ctx, const RepoFlags& repo) {
  auto& c = ctx.get();
  c.ensure_database_running();
  auto conn = db::Connection::open(c.database());
  auto r = repair_files(*conn, settings_for(ctx, repo));
  for (const auto& f : r.repaired) {
    std::cout << "repaired " << f.path << " (from snapshot " << f.snapshot << " in " << f.repository << ")\n";
  }
  for (const auto& u : r.unreadable) std::cerr << "could not read the repository " << u << "\n";
  for (const auto& p : r.not_found) std::cerr << "no good copy in any snapshot: " << p << "\n";
  std::cout << r.repaired.size() << " files repaired, " << r.not_found.size()
            << " without a good copy\n";
  if (!r.not_found.empty()) {
    throw Error(ErrorKind::kNotFound,
                std::to_string(r.not_found.size()) + " files could not be repaired",
                "no snapshot holds a copy that matches asset.checksum");
  }
}

void run_restore(ContextProvider& ctx, const RepoFlags& repo, RestoreOptions options, bool repair) {
  if (repair) return run_repair(ctx, repo);
  auto settings = repository_holding(settings_for(ctx, repo), options.snapshot);
  print_files_restore(restore_files_with_progress(settings, options), options);
}

void run_forget(ContextProvider& ctx, const RepoFlags& repo, ForgetPolicy policy) {
  auto& c = ctx.get();
  if (policy.keep_last <= 0) {  // not given: the policy in force, as after scheduled backups
    c.ensure_database_running();
    auto conn = db::Connection::open(c.database());
    auto configured = retention_policy(*conn);
    policy.keep_last = configured.keep_last;
    if (!policy.keep_daily && !policy.keep_weekly && !policy.keep_monthly) policy = configured;
  }
  std::string rules = "the last " + std::to_string(policy.keep_last) + " points";
  if (policy.keep_daily) rules += ", " + std::to_string(policy.keep_daily) + " daily";
  if (policy.keep_weekly) rules += ", " + std::to_string(policy.keep_weekly) + " weekly";
  if (policy.keep_monthly) rules += ", " + std::to_string(policy.keep_monthly) + " monthly";
  on_each_repository(ctx, repo, [&](const FilesSettings& one, const std::string& shown) {
    auto r = forget_snapshots(one, policy);
    std::cout << shown << ": " << r.removed << " snapshots forgotten and pruned, " << r.kept
              << " kept (" << rules << ")\n";
  });
}

void run_remove(ContextProvider& ctx, const RepoFlags& repo) {
  auto shown = shown_repository(repo.repository);
  auto left = remove_repository(settings_for(ctx, repo));
  std::cout << "Keepsake no longer uses the repository " << shown
            << ". It was not touched: its snapshots stay readable by restic with its password.\n";
  if (left.empty()) {
    std::cout << "No repository is saved now: file backups stop until `keepsake files init`.\n";
  } else {
    std::cout << "The primary repository is " << shown_repository(left.front().url) << ".\n";
  }
}

}  // namespace

FilesSettings files_settings(ContextProvider& ctx, const std::string& repo) {
  auto settings = files_settings_of(ctx.get().config());
  settings.repository = repo;
  return settings;
}

void add_delete_extra_flag(CLI::App* command, bool& flag) {
  command->add_flag("--delete-extra", flag,
                    "In place: move files the snapshot does not hold aside into "
                    "<media>/.keepsake-extras/ (never removed; backups/ left alone)");
}

RestoreResult restore_files_with_progress(const FilesSettings& settings, RestoreOptions options) {
  ProgressBar bar("files restore", "B");
  options.progress = [&](const std::string& phase, int64_t done, int64_t total) {
    bar.update(static_cast<double>(done), static_cast<double>(total),
               phase == "restore" ? "restic restoring" : "comparing with the media folder");
  };
  auto result = restore_files(settings, options);
  bar.finish();
  return result;
}

void print_files_restore(const RestoreResult& r, const RestoreOptions& options) {
  if (options.target.empty()) {
    std::cout << "Restored in place into " << r.target << ": " << r.written
              << " files written (missing or different), " << r.unchanged
              << " already identical; ";
    if (r.extras_moved > 0) {
      std::cout << r.extras_moved << " extra files moved aside into " << r.extras_folder << "\n";
    } else {
      std::cout << "nothing deleted\n";
    }
  } else {
    std::cout << "Restored " << r.written << " files into " << r.target << "\n";
  }
}

void register_files_commands(CLI::App& app, ContextProvider& ctx) {
  auto* files = app.add_subcommand("files", "Back up the media folder's files with restic");
  files->require_subcommand(1);
  auto repo = std::make_shared<RepoFlags>();
  auto add_repo = [repo](CLI::App* sub) {
    sub->add_option("--repo", repo->repository,
                    "restic repository: a path (not inside the media folder) or a restic URL "
                    "(sftp:, rest:, ...); default: the first one `files init` saved");
    sub->add_option("-o,--option", repo->options,
                    "restic's -o key=value for --repo, e.g. sftp.command='ssh -F <config> <host> "
                    "-s sftp' (run without a shell); `init` saves them with the repository");
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
  b->add_flag("--database-backup", backup->new_database_backup,
              "Make a database backup right before the snapshot and pair with it (default: the "
              "newest verified one, or a new one when none verifies)");
  b->callback([&ctx, repo, backup] { run_backup(ctx, *repo, *backup); });

  auto* list = files->add_subcommand(
      "list", "List the snapshots of the repository given, or of every saved one, newest first");
  add_repo(list);
  list->callback([&ctx, repo] { run_list(ctx, *repo); });

  auto percent = std::make_shared<int>(0);
  auto* check = files->add_subcommand(
      "check", "restic check of the repository given, or of every saved one");
  add_repo(check);
  check->add_option("--read-data-percent", *percent, "Also read this % of the data packs")
      ->check(CLI::Range(0, 100));
  check->callback([&ctx, repo, percent] { run_check(ctx, *repo, *percent); });

  auto restore = std::make_shared<RestoreOptions>();
  auto repair = std::make_shared<bool>(false);
  auto* r = files->add_subcommand(
      "restore", "Restore a snapshot into a new folder, or in place (missing or different files "
                 "only, nothing deleted)");
  add_repo(r);
  r->add_option("snapshot", restore->snapshot,
                "Snapshot id, in any saved repository (default: latest, of the primary)");
  auto* target = r->add_option("--target", restore->target, "A new or empty folder (default: in place)");
  add_delete_extra_flag(r, restore->delete_extra);
  r->add_flag("--repair", *repair,
              "Only the files the scan finds missing and the verification finds damaged, each "
              "from the newest snapshot with a good copy")
      ->excludes(target);
  r->callback([&ctx, repo, restore, repair] { run_restore(ctx, *repo, *restore, *repair); });

  auto* remove = files->add_subcommand(
      "remove", "Stop using a saved repository (--repo); the repository itself is left as it is");
  add_repo(remove);
  remove->callback([&ctx, repo] { run_remove(ctx, *repo); });

  auto policy = std::make_shared<ForgetPolicy>();
  policy->keep_last = 0;
  auto* forget = files->add_subcommand(
      "forget", "Apply retention to Keepsake's snapshots in the repository given, or in every "
                "saved one (restic forget --prune)");
  add_repo(forget);
  forget->add_option("--keep-last", policy->keep_last,
                     "default: backup.database.keepLastAmount, as for the database backups, "
                     "with files.retention's calendar rules unless some are given");
  forget->add_option("--keep-daily", policy->keep_daily, "also keep the last N daily snapshots");
  forget->add_option("--keep-weekly", policy->keep_weekly, "also keep the last N weekly ones");
  forget->add_option("--keep-monthly", policy->keep_monthly, "also keep the last N monthly ones");
  forget->callback([&ctx, repo, policy] { run_forget(ctx, *repo, *policy); });
}

}  // namespace keepsake::cli
