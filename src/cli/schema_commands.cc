// `keepsake schema check|dump` and `keepsake migrations status|run|revert|generate|create|debug`.
// Handlers connect, call the schema and migrations services and print; the exit code is 0 when
// the database matches the declared schema, 1 when it drifts (like immich-admin schema-check).
#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "db/connection.h"
#include "db/locks.h"
#include "migrations/boot.h"
#include "migrations/immich_migrations.h"
#include "migrations/keepsake_migrations.h"
#include "migrations/schema_verdict.h"
#include "schema/ddl.h"
#include "schema/diff_sql.h"
#include "schema/drift_apply.h"
#include "schema/drift_check.h"
#include "schema/drift_migration_files.h"
#include "schema/drift_migrations.h"
#include "schema/immich_schema.h"

namespace keepsake::cli {
namespace {

constexpr const char* kRevertMessage =
    "Immich v2.7.5's migrations cannot be reverted: Keepsake creates the end state of all 68 "
    "migrations at once (a baseline) and ships no down() steps, and several of Immich's own "
    "down() steps are empty or unsupported";
constexpr const char* kRevertHint =
    "restore a database backup taken before the change instead";

struct CheckFlags {
  bool apply = false;
  bool allow_destructive = false;
};

schema::Schema declared_schema(ContextProvider& ctx, db::Connection& conn) {
  return migrations::declared_schema(ctx.get().config(), conn);
}

std::unique_ptr<db::Connection> connect(ContextProvider& ctx) {
  auto& c = ctx.get();
  c.ensure_database_running();
  return db::Connection::open(c.database());
}

std::vector<std::string> keepsake_names() {
  std::vector<std::string> names;
  for (const auto& m : migrations::keepsake_migrations()) names.push_back(m.name);
  return names;
}

void print_lines(const std::vector<std::string>& lines) {
  for (const auto& line : lines) std::cout << line << "\n";
}

void print_items(const std::vector<schema::DriftItem>& items) {
  print_lines(schema::drift_report_lines(items));
  if (items.empty()) return;
  std::cout << "\nRepair SQL (review it first: DESTRUCTIVE steps can lose data; use at your own "
               "risk):\n";
  for (const auto& item : items) {
    std::cout << "-- " << item.description << " [" << schema::safety_name(item.safety()) << "]\n";
    for (const auto& step : item.steps) std::cout << step.sql << "\n";
  }
}

// The verdict is migrations::check_immich_schema's, the same as doctor's. --apply repairs drift
// only; the notes' ALTER DATABASE is printed for the user to run (it needs the database's owner).
bool run_check(ContextProvider& ctx, const CheckFlags& flags) {
  auto conn = connect(ctx);
  auto declared = declared_schema(ctx, *conn);
  auto verdict = migrations::check_immich_schema(*conn, declared);
  print_lines(schema::migration_report_lines(verdict.migrations));
  auto& items = verdict.drift.drift;
  print_items(items);
  print_lines(schema::note_lines(verdict.drift.notes));
  if (flags.apply && !items.empty()) {
    schema::ApplyResult result;
    db::with_lock(ctx.get().database(), db::DatabaseLock::Migrations, [&](db::Connection& c) {
      result = schema::apply_drift(c, schema::detect_drift(c, declared), flags.allow_destructive);
    });
    std::cout << "\nApplied " << result.applied.size() << " item(s)";
    if (!result.skipped.empty()) {
      std::cout << "; left " << result.skipped.size()
                << " DESTRUCTIVE item(s) alone (add --allow-destructive to run them)";
    }
    std::cout << "\n";
    items = schema::detect_drift(*conn, declared);
    std::cout << "After the repair: ";
    print_lines(schema::drift_report_lines(items));
  }
  return verdict.ok();
}

void register_schema_group(CLI::App& app, ContextProvider& ctx) {
  auto* group = app.add_subcommand("schema", "Compare the database with Immich v2.7.5's schema");
  group->require_subcommand(1);
  auto flags = std::make_shared<CheckFlags>();
  auto* check = group->add_subcommand(
      "check", "Report migrations and schema drift with the SQL that repairs it (exit 1 on drift)");
  check->add_flag("--apply", flags->apply, "Run the SAFE repair steps (in one transaction)");
  check->add_flag("--allow-destructive", flags->allow_destructive,
                  "With --apply, also run the DESTRUCTIVE steps (drops, type changes)");
  check->callback([&ctx, flags] {
    if (flags->allow_destructive && !flags->apply) {
      throw Error(ErrorKind::kInvalidArgument, "--allow-destructive needs --apply");
    }
    if (!run_check(ctx, *flags)) throw CLI::RuntimeError(1);
  });
  group->add_subcommand("dump", "Print the SQL that creates the declared schema")->callback([&ctx] {
    auto declared = schema::immich_schema(
        migrations::boot_options_from_config(ctx.get().config()).schema);
    std::string dbname = ctx.get().config().db.dbname;
    auto statements = schema::create_statements(declared);
    for (auto& s : schema::database_setting_statements(declared, dbname.empty() ? "immich" : dbname)) {
      statements.push_back(std::move(s));
    }
    for (const auto& s : statements) std::cout << schema::sql::statement(s) << "\n";
  });
}

void print_drift_sql(const std::vector<schema::DriftItem>& items) {
  for (const auto& item : items) {
    std::cout << "-- " << item.description << " [" << schema::safety_name(item.safety()) << "]\n";
  }
  std::cout << schema::render_sql(items);
}

void register_migrations_group(CLI::App& app, ContextProvider& ctx) {
  auto* group = app.add_subcommand("migrations", "Immich's and Keepsake's migrations");
  group->require_subcommand(1);
  group->add_subcommand("status", "List unapplied or unknown migrations")->callback([&ctx] {
    auto conn = connect(ctx);
    std::cout << "Immich (" << migrations::kImmichRelease << "):\n";
    auto immich = schema::immich_migration_states(*conn, migrations::immich_migration_names());
    print_lines(schema::migration_report_lines(immich));
    std::cout << "Keepsake:\n";
    auto own = schema::keepsake_migration_states(*conn, keepsake_names());
    print_lines(schema::migration_report_lines(own));
    if (!schema::all_applied(immich) || !schema::all_applied(own)) throw CLI::RuntimeError(1);
  });
  group->add_subcommand("run", "Run the boot migrations (bootstrap, drift check, Keepsake's own)")
      ->callback([&ctx] {
        auto& c = ctx.get();
        c.ensure_database_running();
        auto options = migrations::boot_options_from_config(c.config());
        options.skip_migrations = false;
        auto report = migrations::run_database_boot(c.database(), options);
        if (report.bootstrapped) std::cout << "Created Immich v2.7.5's schema\n";
        for (const auto& name : report.keepsake_migrations_applied) {
          std::cout << "Migration \"" << name << "\" succeeded\n";
        }
        std::cout << "Migrations are up to date\n";
      });
  group->add_subcommand("revert", "Not possible for Immich's baseline (explains why)")
      ->callback([] { throw Error(ErrorKind::kConflict, kRevertMessage, kRevertHint); });
  auto name = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>("./migrations");
  auto* generate = group->add_subcommand(
      "generate", "Write the SQL that brings the database to the declared schema into a file");
  generate->add_option("name", *name, "Migration name, e.g. AddAssetIndex")->required();
  generate->add_option("--dir", *dir, "Folder for the file (default ./migrations)");
  generate->callback([&ctx, name, dir] {
    schema::validate_migration_name(*name);
    auto conn = connect(ctx);
    auto items = schema::detect_drift(*conn, declared_schema(ctx, *conn));
    if (items.empty()) {
      std::cout << "No changes detected\n";
      return;
    }
    std::string content = "-- Generated by keepsake migrations generate\n";
    for (const auto& item : items) content += "-- " + item.description + "\n";
    content += schema::render_sql(items);
    std::cout << "Wrote "
              << schema::write_migration_file(*dir, *name, content, schema::now_epoch_ms())
              << "\n";
  });
  auto* create = group->add_subcommand("create", "Write an empty migration file");
  create->add_option("name", *name, "Migration name, e.g. AddAssetIndex")->required();
  create->add_option("--dir", *dir, "Folder for the file (default ./migrations)");
  create->callback([name, dir] {
    std::cout << "Wrote "
              << schema::write_migration_file(*dir, *name, schema::migration_skeleton(*name),
                                              schema::now_epoch_ms())
              << "\n";
  });
  group->add_subcommand("debug", "Print the SQL generate would write")->callback([&ctx] {
    auto conn = connect(ctx);
    auto items = schema::detect_drift(*conn, declared_schema(ctx, *conn));
    if (items.empty()) {
      std::cout << "No changes detected\n";
      return;
    }
    print_drift_sql(items);
  });
}

void print_doctor_line(const char* tag, const std::string& message) {
  std::cout << tag << " " << message << "\n";
}

}  // namespace

int print_schema_verdict_for_doctor(db::Connection& conn, const Config& config) {
  auto verdict = migrations::check_immich_schema(conn, migrations::declared_schema(config, conn));
  int problems = 0;
  auto problem = [&](const std::string& message) {
    ++problems;
    print_doctor_line("ERROR", message);
  };
  const std::string release = migrations::kImmichRelease;
  auto missing = verdict.missing_migrations();
  if (!missing.empty()) {
    problem(std::to_string(missing.size()) + " of Immich " + release + "'s migrations are not in " +
            "kysely_migrations (first: " + missing.front() + "); start Immich " + release + " once");
  }
  for (const auto& name : verdict.unknown_migrations()) {
    problem("migration " + name + " in kysely_migrations is not one of Immich " + release +
            "'s; probably written by " + migrations::probable_release(name));
  }
  const auto& drift = verdict.drift.drift;
  for (size_t i = 0; i < drift.size() && i < 10; ++i) {
    problem("schema drift: " + drift[i].description + " (`keepsake schema check` shows the repair)");
  }
  if (drift.size() > 10) problem("schema drift: " + std::to_string(drift.size() - 10) + " more items");
  if (verdict.ok()) {
    print_doctor_line("ok   ", "schema: Immich " + release + "'s " +
                                   std::to_string(verdict.migrations.size()) +
                                   " migrations, no schema drift");
  }
  for (const auto& note : verdict.drift.notes) print_doctor_line("note ", schema::note_text(note));
  return problems;
}

void register_schema_commands(CLI::App& app, ContextProvider& ctx) {
  register_schema_group(app, ctx);
  register_migrations_group(app, ctx);
}

}  // namespace keepsake::cli
