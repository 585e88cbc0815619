// `keepsake pitr enable|backup|prune|disable|status|restore`: point-in-time recovery (docs/PITR.md). `restore`
// runs as `keepsake restore` does (run_guarded_restore), through restore::restore_to_point_in_time.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "config/keepsake_settings.h"
#include "db/connection.h"
#include "pitr/pitr.h"
#include "restore/pitr_restore.h"

namespace keepsake::cli {
namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

std::string when(const std::optional<int64_t>& us) { return us ? pitr::format_iso8601(*us) : "-"; }

DatabaseConfig live_database(ContextProvider& ctx) {
  auto& c = ctx.get();
  c.ensure_database_running();
  return c.database();
}

void enable(ContextProvider& ctx, const std::string& location) {
  auto db = live_database(ctx);
  std::string dir = pitr::choose_archive_dir(ctx.get().config(), location);
  auto r = pitr::enable({.db = db, .archive_dir = dir, .synchronous = pitr::synchronous_requested(process_environment())});
  std::cout << "PITR enabled: archive " << dir << "\n"
            << "  slot " << pitr::kSlotName << (r.slot_created ? " (created)" : " (existing)") << "\n"
            << "  base backup " << r.base.name << ", " << mib(r.base.size) << ", verified, " << r.base.seconds
            << " s\n"
            << "  WAL streamed up to " << r.streamed_to_lsn << "\n"
            << "`keepsake serve` keeps the WAL streaming.\n";
}

void base_backup(ContextProvider& ctx) {
  auto db = live_database(ctx);
  auto b = pitr::take_base_backup(db, pitr::archive_dir_for(ctx.get().config()));
  std::cout << "base backup " << b.name << ", " << mib(b.size) << ", verified, " << b.seconds << " s\n";
}

void prune(ContextProvider& ctx) {
  auto db = live_database(ctx);
  int window = config::pitr_settings(config::load_keepsake_settings(*db::Connection::open(db))).recovery_window_days;
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
  auto r = pitr::prune(pitr::archive_dir_for(ctx.get().config()), window, now.count());
  if (r.kept_from.empty()) {
    std::cout << "nothing to prune: no verified base backup ended more than " << window << " days ago\n";
    return;
  }
  std::cout << "pruned to a " << window << "-day window: " << r.base_backups.size() << " base backups, "
            << r.wal_files << " WAL files, " << r.restore_points << " restore points, " << r.abandoned.size()
            << " histories set aside by restores, " << mib(r.bytes)
            << " freed; the archive starts at base backup " << r.kept_from << "\n";
}

// Asks on a terminal unless --yes; refuses when stdin is not one.
void confirm(bool yes, const std::string& question, const std::string& refusal) {
  if (yes) return;
  if (!isatty(STDIN_FILENO)) throw Error(ErrorKind::kInvalidArgument, refusal + ": confirm with --yes");
  std::cerr << question << " Type yes to continue: ";
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "yes") throw Error(ErrorKind::kInvalidArgument, "cancelled; nothing changed");
}

void disable(ContextProvider& ctx, bool yes) {
  auto db = live_database(ctx);
  std::string dir = pitr::archive_dir_for(ctx.get().config());
  if (!pitr::is_enabled(dir)) throw Error(ErrorKind::kNotFound, "PITR is not enabled (archive " + dir + ")");
  confirm(yes, "Disable point-in-time recovery? The replication slot is dropped and WAL is no longer archived.",
          "disabling PITR drops the replication slot");
  auto r = pitr::disable(db, dir);
  std::cout << "PITR disabled: " << (r.slot_dropped ? "replication slot " + std::string(pitr::kSlotName) + " dropped"
                                                     : "there was no replication slot")
            << ", WAL streaming stops.\n"
            << "Still on disk: the archive " << r.archive_dir << " (" << mib(r.archive_size)
            << ": base backups, WAL, restore points); remove it when you no longer need it:\n  rm -rf '" << r.archive_dir << "'\n";
}

void print_status(const pitr::Status& s) {
  if (s.disabled) {
    std::cout << "PITR is disabled; the archive " << s.archive_dir << " (" << mib(s.space_used)
              << ") stays on disk until removed; `keepsake pitr enable` turns it on again\n";
    return;
  }
  if (!s.enabled) {
    std::cout << "PITR is not enabled (archive " << s.archive_dir << "); run `keepsake pitr enable`\n";
    for (auto& p : s.problems) std::cout << "PROBLEM        " << p << "\n";
    return;
  }
  std::cout << "archive        " << s.archive_dir << " (" << mib(s.space_used) << ", " << s.base_backups
            << " base backups, " << s.wal_segments << " WAL files)\n"
            << "window         " << when(s.earliest_us) << " .. " << when(s.latest_us) << "\n"
            << "lag            " << (s.lag_bytes ? std::to_string(*s.lag_bytes) + " bytes" : "-") << ", "
            << (s.lag_seconds ? std::to_string(*s.lag_seconds) + " s" : "-") << "\n"
            << "slot           " << pitr::kSlotName << ": "
            << (s.slot.exists ? (s.slot.active ? "streaming" : "idle") + std::string(", restart ") +
                                    s.slot.restart_lsn + ", WAL " + s.slot.wal_status
                              : "missing")
            << "\n";
  if (s.last_base_backup) {
    auto& b = *s.last_base_backup;
    std::cout << "last base      " << b.name << ", " << mib(b.size) << ", ended " << pitr::format_iso8601(b.end_us)
              << (b.verified ? ", verified " + pitr::format_iso8601(b.verified_us) : ", NOT verified") << "\n";
  }
  for (auto& p : s.restore_points) {
    std::cout << "restore point  " << p.name << " at " << p.lsn << " (" << pitr::format_iso8601(p.time_us) << ")\n";
  }
  for (auto& p : s.problems) std::cout << "PROBLEM        " << p << "\n";
}

void status(ContextProvider& ctx, bool as_json) {
  auto& c = ctx.get();
  auto s = pitr::read_status(c.database(), pitr::archive_dir_for(c.config()));
  if (as_json) {
    std::cout << pitr::status_json(s).dump(2) << "\n";
  } else {
    print_status(s);
  }
  if (!s.problems.empty()) throw Error(ErrorKind::kUnavailable, "PITR has problems: " + s.problems.front());
}

struct RestoreFlags {
  std::string to, point;
  bool latest = false, yes = false, force = false;
  int timeout = 3600;
};

pitr::RecoveryTarget target_of(const RestoreFlags& f) {
  if (int(!f.to.empty()) + int(!f.point.empty()) + int(f.latest) != 1) {
    throw Error(ErrorKind::kInvalidArgument, "give exactly one of --to, --to-restore-point, --latest");
  }
  if (!f.to.empty()) return {pitr::RecoveryTarget::Kind::kTime, pitr::parse_iso8601(f.to), ""};
  if (!f.point.empty()) return {pitr::RecoveryTarget::Kind::kRestorePoint, 0, f.point};
  return {};
}

void restore(ContextProvider& ctx, const RestoreFlags& f) {
  auto target = target_of(f);
  restore::PitrRestoreOptions options{.timeout = std::chrono::seconds(f.timeout),
                                     .note = [](const std::string& note) { std::cout << note << "\n"; }};
  auto result = run_guarded_restore(ctx, {pitr::describe(target), f.yes, f.force}, [&](restore::RestoreOptions& o) {
    return restore::restore_to_point_in_time(o, target, options);
  });
  print_restore_result(pitr::describe(target), result);
}

}  // namespace

void register_pitr_commands(CLI::App& app, ContextProvider& ctx) {
  auto* pitr = app.add_subcommand("pitr", "Point-in-time recovery: continuous WAL archiving and restores to a time");
  pitr->require_subcommand(1);

  auto location = std::make_shared<std::string>();
  auto* e = pitr->add_subcommand("enable", "Check the server, create the slot, take and verify a base backup, stream WAL");
  e->add_option("--location", *location, "archive folder (default <data dir>/pitr)");
  e->callback([&ctx, location] { enable(ctx, *location); });

  pitr->add_subcommand("backup", "Take and verify one more base backup")->callback([&ctx] { base_backup(ctx); });
  pitr->add_subcommand("prune", "Remove base backups and WAL older than the recovery window (pitr.recoveryWindowDays)")
      ->callback([&ctx] { prune(ctx); });

  auto disable_yes = std::make_shared<bool>(false);
  auto* d = pitr->add_subcommand("disable", "Drop the replication slot and stop archiving (the archive stays on disk)");
  d->add_flag("--yes,-y", *disable_yes, "do not ask for confirmation");
  d->callback([&ctx, disable_yes] { disable(ctx, *disable_yes); });

  auto as_json = std::make_shared<bool>(false);
  auto* s = pitr->add_subcommand("status", "Recovery window, archive lag, base backups, slot, restore points");
  s->add_flag("--json", *as_json, "print JSON");
  s->callback([&ctx, as_json] { status(ctx, *as_json); });

  auto flags = std::make_shared<RestoreFlags>();
  auto* r = pitr->add_subcommand("restore", "Recover the archive to a time and swap it into the live library");
  r->add_option("--to", flags->to, "ISO 8601 time, e.g. 2026-12-04T18:00:00Z");
  r->add_option("--to-restore-point", flags->point, "a restore point's name (pitr status lists them)");
  r->add_flag("--latest", flags->latest, "everything archived");
  r->add_flag("--yes,-y", flags->yes, "do not ask for confirmation");
  r->add_flag("--force", flags->force,
              "restore although other clients can neither be told to stop writing nor fenced");
  r->add_option("--timeout", flags->timeout, "seconds recovery may take (default 3600)");
  r->callback([&ctx, flags] { restore(ctx, *flags); });
}

}  // namespace keepsake::cli
