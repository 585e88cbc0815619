// `keepsake vector status|reindex|set-dimension` and `keepsake doctor`: parse flags, call the
// vector module, print. doctor only reads.
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "config/redis_config.h"
#include "db/database_clients.h"
#include "db/locks.h"
#include "db/server_version.h"
#include "db/write_fence.h"
#include "immich/restart_channel.h"
#include "migrations/keepsake_migrations.h"
#include "pitr/pitr.h"
#include "vector/builtin_index.h"
#include "vector/extension.h"
#include "vector/index_manager.h"
#include "vector/vector_service.h"

namespace keepsake::cli {
namespace {

using namespace keepsake::vector;

std::unique_ptr<db::Connection> open_database(ContextProvider& ctx) {
  auto& c = ctx.get();
  c.ensure_database_running();
  return db::Connection::open(c.database());
}

void print_status(ContextProvider& ctx) {
  auto conn = open_database(ctx);
  Extension ext = installed_vector_extension(*conn);
  std::cout << "extension: " << extension_sql_name(ext) << " (" << extension_display_name(ext)
            << ")\n";
  for (const auto& v : read_vector_extension_versions(*conn)) {
    std::cout << "  available " << v.name << " " << v.available.value_or("-") << ", installed "
              << v.installed.value_or("-") << "\n";
  }
  for (const auto& name : vector_index_names()) {
    std::string table = table_for_index(name);
    if (conn->exec("SELECT to_regclass($1) IS NULL", {"public." + table}).boolean(0, 0)) {
      std::cout << name << ": table " << table << " does not exist\n";
      continue;
    }
    auto rows = conn->exec("SELECT count(*) FROM " + db::quote_ident(table)).int64(0, 0);
    auto def = conn->exec("SELECT indexdef FROM pg_indexes WHERE indexname = $1", {name});
    std::cout << name << ": " << rows << " rows in " << table << ", dimension "
              << get_dimension_size(*conn, table) << "\n";
    if (ext != Extension::kBuiltin) {
      std::cout << "  index: " << (def.empty() ? "missing" : def.text(0, 0)) << "\n";
      if (!def.empty() && ext == Extension::kVchord) {
        uint32_t lists = lists_from_indexdef(def.text(0, 0));
        std::cout << "  lists " << lists << ", target " << target_list_count(static_cast<double>(rows))
                  << ", probes " << probes_for_lists(lists) << "\n";
      }
    }
  }
  auto progress = conn->exec(
      "SELECT c.relname, p.phase, p.blocks_done, p.blocks_total, p.tuples_done, p.tuples_total "
      "FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.relid "
      "WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())");
  for (int i = 0; i < progress.rows(); ++i) {
    std::cout << "reindex running on " << progress.text(i, 0) << ": " << progress.text(i, 1)
              << ", blocks " << progress.text(i, 2) << "/" << progress.text(i, 3) << ", tuples "
              << progress.text(i, 4) << "/" << progress.text(i, 5) << "\n";
  }
  std::string status_file =
      builtin_index_folder(ctx.get().config(), ctx.get().database().dbname) + "/status.json";
  if (std::ifstream in(status_file); in) {
    std::cout << "server's background vector work (" << status_file << "):\n"
              << nlohmann::json::parse(in, nullptr, false).dump(2) << "\n";
  }
}

void reindex(ContextProvider& ctx, const std::string& only) {
  auto& c = ctx.get();
  c.ensure_database_running();
  std::vector<std::string> names = vector_index_names();
  if (!only.empty()) names = {only};
  for (const auto& n : names) table_for_index(n);
  db::with_lock(c.database(), db::DatabaseLock::Migrations, [&](db::Connection& conn) {
    Extension ext = installed_vector_extension(conn);
    if (ext != Extension::kBuiltin) {
      for (const auto& n : names) {
        std::optional<uint32_t> lists;
        if (ext == Extension::kVchord) {
          auto rows = conn.exec("SELECT count(*) FROM " + db::quote_ident(table_for_index(n))).int64(0, 0);
          lists = target_list_count(static_cast<double>(rows));
        }
        if (reindex_vectors(conn, ext, n, lists)) std::cout << "Reindexed " << n << "\n";
      }
      return;
    }
    migrations::apply_keepsake_migrations(conn);
    install_change_triggers(conn);
    std::string folder = builtin_index_folder(c.config(), c.database().dbname);
    for (const auto& n : names) {
      BuiltinIndex index(table_for_index(n), folder);
      index.build(conn);
      index.save();
      std::cout << "Rebuilt the built-in index " << n << " (" << index.size()
                << " vectors); a running server picks it up at its next start\n";
    }
  });
}

void set_dimension(ContextProvider& ctx, int dim) {
  auto& c = ctx.get();
  c.ensure_database_running();
  db::with_lock(c.database(), db::DatabaseLock::CLIPDimSize, [&](db::Connection& conn) {
    Extension ext = installed_vector_extension(conn);
    int before = get_dimension_size(conn, "smart_search");
    pitr::create_restore_point(conn, c.config(), "vector-dimension");
    set_dimension_size(conn, ext, dim);
    std::cout << "smart_search: dimension " << before << " -> " << dim
              << "; embeddings deleted, run the smart search job to fill them again\n";
  });
}

// One line per other client; a warning when a restore would stop because of them.
void report_other_clients(db::Connection& conn,
                          const std::function<void(Finding::Level, const std::string&)>& report) {
  auto database = conn.exec("SELECT current_database()").text(0, 0);
  auto clients = db::list_other_clients(conn, database);
  if (clients.empty()) report(Finding::Level::kOk, "no other clients are connected");
  for (const auto& client : clients) report(Finding::Level::kOk, "other client: " + db::describe_client(client));
  if (!clients.empty() && !restart_channel_configured()) report(Finding::Level::kWarning, immich::no_channel_notice());
  auto check = db::check_write_fence(conn, database);
  if (!db::clients_not_told(clients, restart_channel_configured()).empty() && !check.possible()) {
    report(Finding::Level::kWarning, "a restore would stop (unless --force): some clients can neither be told to stop "
                                     "writing nor fenced: " + check.why_not());
  }
}

// An external cluster: what archiving (`keepsake pitr enable`) still needs, as lines to paste.
// The embedded cluster is configured for it by Keepsake itself.
void report_pitr_readiness(ContextProvider& ctx, const std::function<void(Finding::Level, const std::string&)>& report) {
  if (ctx.get().uses_embedded()) return;
  try {
    auto r = pitr::check_readiness(ctx.get().database(), pitr::synchronous_requested(process_environment()));
    if (r.ok()) report(Finding::Level::kOk, "PITR: the server allows WAL archiving over a replication connection");
    for (const auto& line : r.missing) report(Finding::Level::kWarning, "PITR needs: " + line);
    for (const auto& line : r.recommended) report(Finding::Level::kWarning, "PITR recommends: " + line);
    if (!r.ok()) {
      report(Finding::Level::kOk, "PITR: the replication connection (pg_hba.conf) is tried once the lines above are in place");
    }
  } catch (const Error& e) {
    report(Finding::Level::kWarning, "PITR readiness not checked: " + std::string(e.what()));
  }
}

int doctor(ContextProvider& ctx) {
  auto conn = open_database(ctx);
  int errors = 0;
  auto report = [&](Finding::Level level, const std::string& msg) {
    const char* tag = level == Finding::Level::kError ? "ERROR" : level == Finding::Level::kWarning ? "WARN " : "ok   ";
    errors += level == Finding::Level::kError;
    std::cout << tag << " " << msg << "\n";
  };
  try {
    db::check_server_version(*conn);
    report(Finding::Level::kOk, "PostgreSQL " + db::read_server_version(*conn).text);
  } catch (const Error& e) {
    report(Finding::Level::kError, e.full_message());
  }
  Extension ext = select_vector_extension(*conn, ctx.get().config());
  report(Finding::Level::kOk, "vector extension: " + extension_display_name(ext) +
                                  (ctx.get().config().vector_extension.empty() ? " (auto-detected)" : " (DB_VECTOR_EXTENSION)"));
  if (ext != Extension::kBuiltin) {
    ExtensionVersions versions{extension_sql_name(ext), std::nullopt, std::nullopt};
    for (auto& v : read_vector_extension_versions(*conn)) {
      if (v.name == extension_sql_name(ext)) versions = v;
    }
    try {
      auto action = plan_extension_action(ext, versions);
      const char* what = action == ExtensionAction::kCreate ? "would be created"
                         : action == ExtensionAction::kUpdate ? "would be updated" : "is up to date";
      report(Finding::Level::kOk, extension_display_name(ext) + " " + what + " (available " +
                                      versions.available.value_or("-") + ", installed " +
                                      versions.installed.value_or("-") + ")");
      auto dbname = conn->exec("SELECT current_database()").text(0, 0);
      auto perms = read_extension_permissions(*conn, ext);
      auto findings = check_extension_prerequisites(ext, action, perms, dbname);
      if (action == ExtensionAction::kNone) {
        auto preload_only = perms;
        preload_only.superuser = true;  // installed already: only the preload line matters now
        findings = check_extension_prerequisites(ext, ExtensionAction::kCreate, preload_only, dbname);
      }
      for (const auto& f : findings) report(f.level, f.message);
      if (action == ExtensionAction::kNone) {
        for (const auto& d : plan_reindex(*conn, ext, vector_index_names())) {
          report(d.reindex ? Finding::Level::kWarning : Finding::Level::kOk,
                 d.index + ": " + (d.reindex ? "would be reindexed (" + d.reason + ")" : d.reason));
        }
      }
    } catch (const Error& e) {
      report(Finding::Level::kError, e.full_message());
    }
  }
  for (const auto& v : read_vector_extension_versions(*conn)) {
    auto other = extension_from_sql_name(v.name);
    if (!v.installed || !other || *other == ext) continue;
    if (*other == Extension::kVector && ext == Extension::kVchord) continue;
    report(Finding::Level::kWarning, extension_display_name(*other) +
                                         " is installed but unused; Keepsake drops it at start "
                                         "(DROP EXTENSION IF EXISTS " + v.name + ";)");
  }
  report_other_clients(*conn, report);
  report_pitr_readiness(ctx, report);
  errors += print_schema_verdict_for_doctor(*conn, ctx.get().config());
  std::cout << (errors ? "doctor found problems\n" : "doctor found no problems\n");
  return errors;
}

}  // namespace

void register_vector_commands(CLI::App& app, ContextProvider& ctx) {
  auto* group = app.add_subcommand("vector", "Vector search: extension, indexes, dimension");
  group->require_subcommand(1);
  group->add_subcommand("status", "Show the vector extension, indexes and reindex progress")
      ->callback([&] { print_status(ctx); });
  auto* reindex_cmd = group->add_subcommand("reindex", "Rebuild the vector indexes now");
  static std::string index;
  reindex_cmd->add_option("--index", index, "clip_index or face_index (default: both)")
      ->check(CLI::IsMember({"clip_index", "face_index"}));
  reindex_cmd->callback([&] { reindex(ctx, index); });
  auto* dim_cmd = group->add_subcommand(
      "set-dimension", "Change the CLIP embedding dimension (deletes all smart-search embeddings)");
  static int dim = 0;
  dim_cmd->add_option("dimension", dim, "the new dimension, e.g. 768")->required();
  dim_cmd->callback([&] { set_dimension(ctx, dim); });
  app.add_subcommand("doctor", "Check the database for Keepsake without changing it")
      ->callback([&] {
        if (doctor(ctx) > 0) {
          throw Error(ErrorKind::kConflict, "doctor found problems (see above)");
        }
      });
}

}  // namespace keepsake::cli
