// The benchmark harness: every benchmark runs Keepsake's way and the anchor's way (the tool a
// user would otherwise use) on the same data, alternating, several times, on a throwaway
// PostgreSQL cluster the harness starts itself; the harness then rewrites that benchmark's own
// section of docs/BENCHMARKS.md. Must never touch a user's database or data folder.
//
// Adding a benchmark = one new file bench/<name>_bench.cc with a Benchmark subclass and the line
//   KEEPSAKE_BENCHMARK(MyBench);
// (bench/CMakeLists.txt globs bench/*.cc). See bench/README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"
#include "config/config.h"
#include "db/connection.h"
#include "db/embedded_postgres.h"

namespace keepsake::bench {

// `keepsake dev seed` arguments of the libraries benchmarks share: deterministic (seed 1, --now
// 2026-01-01), no progress bar, plus `variant` (e.g. --no-vector-indexes). Benchmarks asking for
// the same size and variant reuse one seeded database.
std::vector<std::string> library_seed_args(int64_t size, const std::string& variant);
// "keepsake dev seed <args>", as the reproduce sections print it.
std::string seed_command(const std::vector<std::string>& args);

// What the harness gives a benchmark.
// A library seeded once by `keepsake dev seed` (see BenchEnv::seeded_library).
struct SeededLibrary {
  std::string dbname;
  std::string media_location;  // IMMICH_MEDIA_LOCATION it was seeded with (the path prefix)
  std::string seed_output;     // what `keepsake dev seed` printed (empty when reused)
  bool reused = false;
};

class BenchEnv {
 public:
  // `shared_dir` outlives one benchmark (it holds the cluster; with --cluster-dir it outlives
  // the harness run too).
  BenchEnv(db::EmbeddedPostgres& cluster, std::string work_dir, std::string keepsake_binary,
           std::string shared_dir = {});

  const std::string& work_dir() const { return work_dir_; }          // private temp folder
  const std::string& keepsake_binary() const { return keepsake_binary_; }
  DatabaseConfig database(const std::string& dbname) const;           // superuser, Unix socket
  // postgresql:// URL of a database on the cluster (no password: trust over the socket).
  std::string database_url(const std::string& dbname) const;
  // A fresh database with Immich v2.7.5's schema (copied from a template bootstrapped once).
  std::string create_bootstrapped_database(const std::string& prefix);
  // A fresh database with nothing in it (CREATE DATABASE ... TEMPLATE template0).
  std::string create_empty_database(const std::string& prefix);
  void drop_database(const std::string& dbname);
  // A copy of `source` (e.g. a seeded library, which callers must not change) named `name`,
  // replacing an older database of that name.
  void copy_database(const std::string& source, const std::string& name);
  // Runs a program with a minimal environment plus `env`; throws with its stderr on failure.
  ProcessResult run(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env = {},
                    const std::string& stdout_file = {}) const;
  // Environment for the keepsake binary against `dbname` (DB_URL, media and data folders).
  std::map<std::string, std::string> keepsake_env(const std::string& dbname) const;
  std::string psql() const;  // the cluster's psql
  // `keepsake dev seed <seed_args>` into a bootstrapped database named after the arguments, with
  // IMMICH_MEDIA_LOCATION=<shared_dir>/seed-media. A database seeded with the very same arguments
  // earlier on this cluster (another benchmark, or an earlier run with --cluster-dir) is reused:
  // it is marked complete (COMMENT ON DATABASE) only after the seed succeeded. Callers must not
  // change it (copy it with CREATE DATABASE ... TEMPLATE).
  SeededLibrary seeded_library(const std::vector<std::string>& seed_args);

 private:
  void create_from_template(db::Connection& admin, const std::string& name);

  db::EmbeddedPostgres& cluster_;
  std::string work_dir_, keepsake_binary_, shared_dir_;
  std::string template_db_;
  int counter_ = 0;
};

// One timed run. `units` is how much work it did (rows, ...) for a throughput column; 0 = none.
// `cpu_seconds` (user + sys of the child processes) and `output_bytes` add columns when >= 0.
struct Measurement {
  double seconds = 0;
  double units = 0;
  double cpu_seconds = -1;
  double output_bytes = -1;
};

// user + sys CPU seconds of every child process reaped so far (RUSAGE_CHILDREN: a child's own
// waited-for children included). The delta around a run is that run's CPU outside PostgreSQL.
double children_cpu_seconds();

class Benchmark {
 public:
  virtual ~Benchmark() = default;
  virtual std::string name() const = 0;          // --only NAME, section key
  virtual std::string title() const = 0;         // section heading
  virtual std::string description() const = 0;   // what is measured, how it is fair
  virtual int64_t default_size() const = 0;
  virtual std::string size_unit() const = 0;     // "assets"
  virtual std::string units_name() const { return ""; }  // "rows" -> a rows/s column
  virtual int default_runs() const { return 3; }
  // Labels of the two ways (empty for a benchmark with its own results, see own_results).
  virtual std::string keepsake_label() const { return ""; }
  virtual std::string anchor_label() const { return ""; }
  // Keepsake's result must be at most this many seconds (shown as met / missed).
  virtual std::optional<double> target_seconds() const { return std::nullopt; }
  // The ratio anchor / Keepsake (medians) must be at least this (shown as met / missed), with
  // the target's wording (e.g. ">= 10x faster than Immich's statement").
  virtual std::optional<double> target_ratio() const { return std::nullopt; }
  virtual std::string target_ratio_text() const { return ""; }
  // An optional second anchor (e.g. a lower bound such as the dump alone), run in the same
  // alternation and reported as its own row with its own ratio; empty label = none.
  virtual std::string second_anchor_label() const { return ""; }
  virtual Measurement run_second_anchor(BenchEnv&, int64_t) { return {}; }
  virtual std::optional<double> second_target_ratio() const { return std::nullopt; }
  virtual std::string second_target_ratio_text() const { return ""; }

  // Untimed set-up shared by all runs (data, files).
  virtual void prepare(BenchEnv&, int64_t /*size*/) {}
  // One run each; they time only the work itself (fresh targets are made before the clock).
  // Every benchmark without own_results must override both (the defaults throw).
  virtual Measurement run_keepsake(BenchEnv& env, int64_t size);
  virtual Measurement run_anchor(BenchEnv& env, int64_t size);
  // A benchmark whose results are more than one time per way (e.g. queries/s per mode, filter
  // and client count) overrides this instead of run_keepsake / run_anchor: called after
  // prepare, it runs all its measurements (`runs` times where it repeats them) and returns the
  // markdown of its results. The harness puts them between the section's header (title, date,
  // commit, machine, size) and its reproduce block. nullopt: the usual alternating runs.
  virtual std::optional<std::string> own_results(BenchEnv&, int64_t /*size*/, int /*runs*/) {
    return std::nullopt;
  }
  // The exact commands one run of each way executes, for the reproduce block.
  virtual std::vector<std::string> commands(int64_t size) const = 0;
  // Extra lines for the report after the runs (e.g. row counts), optional.
  virtual std::vector<std::string> findings() const { return {}; }
};

using BenchmarkFactory = std::function<std::unique_ptr<Benchmark>()>;
std::map<std::string, BenchmarkFactory>& registry();

template <typename T>
struct Registrar {
  Registrar() {
    T probe;
    registry()[probe.name()] = [] { return std::make_unique<T>(); };
  }
};

// Median, min and max of a set of values.
struct Summary {
  double median = 0, min = 0, max = 0;
};
Summary summarize(std::vector<double> values);
// `value` with `digits` decimals ("12.35").
std::string fixed_text(double value, int digits);

// Replaces (or appends) the section of `name` in the markdown file, creating the file with its
// header when missing. Sections are delimited by <!-- bench:NAME:begin --> / <!-- ...:end -->.
void write_section(const std::string& path, const std::string& name, const std::string& body);

}  // namespace keepsake::bench

#define KEEPSAKE_BENCHMARK(Class) \
  static const ::keepsake::bench::Registrar<Class> keepsake_benchmark_##Class
