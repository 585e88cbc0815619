// `keepsake pitr enable|backup|status|restore`: point-in-time recovery (docs/PITR.md).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "pitr/pitr.h"

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
  auto r = pitr::enable({.db = db, .archive_dir = dir});
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

nlohmann::json base_json(const pitr::BaseBackupInfo& b) {
  return {{"name", b.name},
          {"start", pitr::format_iso8601(b.start_us)},
          {"end", pitr::format_iso8601(b.end_us)},
          {"startLsn", b.start_lsn},
          {"endLsn", b.end_lsn},
          {"size", b.size},
          {"verified", b.verified},
          {"verifiedAt", b.verified ? nlohmann::json(pitr::format_iso8601(b.verified_us)) : nullptr}};
}

nlohmann::json status_json(const pitr::Status& s) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json points = nlohmann::json::array();
  for (auto& p : s.restore_points) {
    points.push_back({{"name", p.name}, {"lsn", p.lsn}, {"time", pitr::format_iso8601(p.time_us)}, {"operation", p.operation}});
  }
  return {{"enabled", s.enabled},
          {"archive", s.archive_dir},
          {"earliestRecoverable", s.earliest_us ? nlohmann::json(pitr::format_iso8601(*s.earliest_us)) : nullptr},
          {"latestRecoverable", s.latest_us ? nlohmann::json(pitr::format_iso8601(*s.latest_us)) : nullptr},
          {"lagBytes", opt(s.lag_bytes)},
          {"lagSeconds", opt(s.lag_seconds)},
          {"currentLsn", s.current_lsn},
          {"slot", {{"name", pitr::kSlotName}, {"exists", s.slot.exists}, {"active", s.slot.active},
                    {"restartLsn", s.slot.restart_lsn}, {"walStatus", s.slot.wal_status}}},
          {"lastBaseBackup", s.last_base_backup ? base_json(*s.last_base_backup) : nlohmann::json(nullptr)},
          {"baseBackups", s.base_backups},
          {"walSegments", s.wal_segments},
          {"spaceUsed", s.space_used},
          {"restorePoints", points},
          {"problems", s.problems}};
}

void print_status(const pitr::Status& s) {
  if (!s.enabled) {
    std::cout << "PITR is not enabled (archive " << s.archive_dir << "); run `keepsake pitr enable`\n";
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
    std::cout << status_json(s).dump(2) << "\n";
  } else {
    print_status(s);
  }
  if (!s.problems.empty()) throw Error(ErrorKind::kUnavailable, "PITR has problems: " + s.problems.front());
}

struct RestoreFlags {
  std::string to, point;
  bool latest = false, yes = false;
  int timeout = 3600;
};

void restore(ContextProvider& ctx, const RestoreFlags& f) {
  pitr::RecoverOptions o;
  if (int(!f.to.empty()) + int(!f.point.empty()) + int(f.latest) != 1) {
    throw Error(ErrorKind::kInvalidArgument, "give exactly one of --to, --to-restore-point, --latest");
  }
  if (!f.to.empty()) o.target = {pitr::RecoveryTarget::Kind::kTime, pitr::parse_iso8601(f.to), ""};
  if (!f.point.empty()) o.target = {pitr::RecoveryTarget::Kind::kRestorePoint, 0, f.point};
  auto& c = ctx.get();
  o.archive_dir = pitr::archive_dir_for(c.config());
  o.database = c.database().dbname;
  o.user = c.database().user;
  o.timeout = std::chrono::seconds(f.timeout);
  // What the server has written up to now, unless `serve` streams it already (the slot is busy)
  // or the server is gone: then the archive as it is.
  try {
    pitr::stream_until_current(c.database(), o.archive_dir, std::chrono::seconds(60));
  } catch (const Error& e) {
    std::cerr << "note: recovering from the archive as it is (" << e.what() << ")\n";
  }
  auto r = pitr::recover(o);
  std::cout << "Recovered and checked (" << r.migrations << " rows in kysely_migrations) from base backup "
            << r.base_backup << " in " << r.seconds << " s\n"
            << "  " << r.recovered_to << "\n"
            << "  data folder: " << r.data_dir << " (stopped)\n"
            << "The live database was not changed. To swap it in (not automated yet):\n";
  if (c.uses_embedded()) {
    std::cout << "  stop keepsake; mv " << c.embedded()->data_dir() << " " << c.embedded()->data_dir()
              << ".before-pitr; mv " << r.data_dir << " " << c.embedded()->data_dir() << "; start keepsake\n";
  } else {
    std::cout << "  start it (pg_ctl -D " << r.data_dir << " -o \"-p <port> -c listen_addresses=''\" start, as postgres),\n"
              << "  then pg_dump it and load that with `keepsake restore` (docs/PITR.md)\n";
  }
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

  auto as_json = std::make_shared<bool>(false);
  auto* s = pitr->add_subcommand("status", "Recovery window, archive lag, base backups, slot, restore points");
  s->add_flag("--json", *as_json, "print JSON");
  s->callback([&ctx, as_json] { status(ctx, *as_json); });

  auto flags = std::make_shared<RestoreFlags>();
  auto* r = pitr->add_subcommand("restore", "Recover into a scratch cluster and check it (the live database is not changed)");
  r->add_option("--to", flags->to, "ISO 8601 time, e.g. 2026-12-04T18:00:00Z");
  r->add_option("--to-restore-point", flags->point, "a restore point's name (pitr status lists them)");
  r->add_flag("--latest", flags->latest, "everything archived");
  r->add_flag("--yes,-y", flags->yes, "do not ask for confirmation (nothing live changes yet)");
  r->add_option("--timeout", flags->timeout, "seconds recovery may take (default 3600)");
  r->callback([&ctx, flags] { restore(ctx, *flags); });
}

}  // namespace keepsake::cli
