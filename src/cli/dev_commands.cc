// `keepsake dev seed`: parses flags, boots the database (bootstrapping an empty one), runs the
// seeder service (src/dev/) and prints its report. No business rules here.
#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "db/connection.h"
#include "dev/seeder.h"
#include "migrations/boot.h"
#include "schema/drift_check.h"
#include "schema/immich_schema.h"

namespace keepsake::cli {
namespace {

struct SeedFlags {
  dev::SeedOptions options;
  std::string now;
  bool no_progress = false;
  bool no_vector_indexes = false;
};

dev::Timestamp start_of_today_utc() {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return dev::Timestamp{(secs / 86400 * 86400) * 1000000LL};
}

void run_seed(ContextProvider& ctx, SeedFlags& flags) {
  auto& app = ctx.get();
  dev::SeedOptions options = flags.options;
  options.media_location = app.config().media_location;
  options.now = flags.now.empty() ? start_of_today_utc() : dev::parse_utc_time(flags.now);
  dev::validate(options);
  app.ensure_database_running();
  DatabaseConfig database = app.database();
  migrations::run_database_boot(database, migrations::boot_options_from_config(app.config()));
  auto conn = db::Connection::open(database);
  dev::SeedRunOptions run;
  if (flags.no_progress) run.progress = dev::Progress::Style::kSilent;
  run.rebuild_vector_indexes = !flags.no_vector_indexes;
  std::cerr << "seeding " << database.display_url() << ": " << options.users << " users, "
            << options.assets << " assets, seed " << options.seed << "\n";
  dev::SeedReport report = dev::seed_library(*conn, options, run);
  dev::print_report(report, std::cout);
  schema::SchemaOptions declared;
  declared.vector = schema::installed_vector_flavour(*conn);
  for (const auto& line : schema::drift_report_lines(
           schema::detect_drift(*conn, schema::immich_schema(declared)))) {
    std::cout << "schema check: " << line << "\n";
  }
}

}  // namespace

void register_dev_commands(CLI::App& app, ContextProvider& ctx) {
  auto* dev = app.add_subcommand("dev", "Developer tools (synthetic data)");
  dev->require_subcommand(1);
  auto flags = std::make_shared<SeedFlags>();
  auto* seed = dev->add_subcommand(
      "seed",
      "Fill an empty, bootstrapped database (the embedded one or DB_URL) with a realistic "
      "synthetic photo library, in one transaction");
  seed->add_option("--users", flags->options.users, "Number of users (the first is the admin)")
      ->default_val(3);
  seed->add_option("--assets", flags->options.assets, "Number of assets, spread over the users")
      ->default_val(10000);
  seed->add_option("--seed", flags->options.seed, "Random seed: same seed, same library")
      ->default_val(1);
  seed->add_option("--spread", flags->options.spread,
                   "Embedding noise around each cluster centre (0 = identical vectors)")
      ->default_val(0.6);
  seed->add_option("--vectors-per-cluster", flags->options.vectors_per_cluster,
                   "About one embedding cluster per this many vectors")
      ->default_val(50);
  seed->add_flag(
      "--files", flags->options.write_files,
      "Also write a small file for every path the rows hold (originals, sidecars, thumbnails, "
      "previews, encoded videos, person thumbnails): `storage scan` finds nothing missing");
  seed->add_option("--now", flags->now,
                   "Reference time the dates are spread back from (YYYY-MM-DD or "
                   "YYYY-MM-DDTHH:MM:SSZ; default: today 00:00 UTC)");
  seed->add_flag_callback("--no-embeddings", [flags] { flags->options.embeddings = false; },
                 "Leave smart_search and face_search empty (no 512-d embeddings, no vector index "
                 "rebuild): for large libraries whose use needs no search");
  seed->add_flag("--no-vector-indexes", flags->no_vector_indexes,
                 "Drop clip_index / face_index for the load and do not rebuild them (an HNSW build "
                 "of a large library takes hours): for benchmarks that never search");
  seed->add_flag("--no-progress", flags->no_progress, "Do not report progress on stderr");
  seed->callback([&ctx, flags] { run_seed(ctx, *flags); });
}

}  // namespace keepsake::cli
