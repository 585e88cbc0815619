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
#include "db/embedded_postgres.h"

namespace keepsake::bench {

// What the harness gives a benchmark.
class BenchEnv {
 public:
  BenchEnv(db::EmbeddedPostgres& cluster, std::string work_dir, std::string keepsake_binary);

  const std::string& work_dir() const { return work_dir_; }          // private temp folder
  const std::string& keepsake_binary() const { return keepsake_binary_; }
  DatabaseConfig database(const std::string& dbname) const;           // superuser, Unix socket
  // postgresql:// URL of a database on the cluster (no password: trust over the socket).
  std::string database_url(const std::string& dbname) const;
  // A fresh database with Immich v2.7.5's schema (copied from a template bootstrapped once).
  std::string create_bootstrapped_database(const std::string& prefix);
  void drop_database(const std::string& dbname);
  // Runs a program with a minimal environment plus `env`; throws with its stderr on failure.
  ProcessResult run(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env = {},
                    const std::string& stdout_file = {}) const;
  // Environment for the keepsake binary against `dbname` (DB_URL, media and data folders).
  std::map<std::string, std::string> keepsake_env(const std::string& dbname) const;
  std::string psql() const;  // the cluster's psql

 private:
  db::EmbeddedPostgres& cluster_;
  std::string work_dir_, keepsake_binary_;
  std::string template_db_;
  int counter_ = 0;
};

// One timed run. `units` is how much work it did (rows, ...) for a throughput column; 0 = none.
struct Measurement {
  double seconds = 0;
  double units = 0;
};

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
  virtual std::string keepsake_label() const = 0;
  virtual std::string anchor_label() const = 0;
  // Keepsake's result must be at most this many seconds (shown as met / missed).
  virtual std::optional<double> target_seconds() const { return std::nullopt; }

  // Untimed set-up shared by all runs (data, files).
  virtual void prepare(BenchEnv&, int64_t /*size*/) {}
  // One run each; they time only the work itself (fresh targets are made before the clock).
  virtual Measurement run_keepsake(BenchEnv& env, int64_t size) = 0;
  virtual Measurement run_anchor(BenchEnv& env, int64_t size) = 0;
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

// Replaces (or appends) the section of `name` in the markdown file, creating the file with its
// header when missing. Sections are delimited by <!-- bench:NAME:begin --> / <!-- ...:end -->.
void write_section(const std::string& path, const std::string& name, const std::string& body);

}  // namespace keepsake::bench

#define KEEPSAKE_BENCHMARK(Class) \
  static const ::keepsake::bench::Registrar<Class> keepsake_benchmark_##Class
