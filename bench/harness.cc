#include "harness.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "db/connection.h"
#include "migrations/boot.h"
#include "schema/ddl.h"
#include "schema/immich_schema.h"

namespace keepsake::bench {

std::map<std::string, BenchmarkFactory>& registry() {
  static std::map<std::string, BenchmarkFactory> benchmarks;
  return benchmarks;
}

BenchEnv::BenchEnv(db::EmbeddedPostgres& cluster, std::string work_dir,
                   std::string keepsake_binary, std::string shared_dir)
    : cluster_(cluster),
      work_dir_(std::move(work_dir)),
      keepsake_binary_(std::move(keepsake_binary)),
      shared_dir_(shared_dir.empty() ? work_dir_ : std::move(shared_dir)) {}

double children_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<std::string> library_seed_args(int64_t size, const std::string& variant) {
  std::vector<std::string> args = {"--assets", std::to_string(size), "--seed", "1", "--now", "2026-01-01"};
  std::istringstream words(variant);
  for (std::string w; words >> w;) args.push_back(w);
  args.push_back("--no-progress");
  return args;
}

std::string seed_command(const std::vector<std::string>& args) {
  std::string out = "keepsake dev seed";
  for (const auto& a : args) out += " " + a;
  return out;
}

SeededLibrary BenchEnv::seeded_library(const std::vector<std::string>& seed_args) {
  std::string key;
  for (const auto& a : seed_args) key += (key.empty() ? "" : " ") + a;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the arguments names the database
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  char name[32];
  std::snprintf(name, sizeof name, "seeded_%016llx", static_cast<unsigned long long>(h));
  const std::string marker = "keepsake-bench seeded: " + key;
  SeededLibrary lib{name, shared_dir_ + "/seed-media", "", false};
  auto admin = db::Connection::open(database("postgres"));
  auto r = admin->exec(
      "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", {name},
      "look for a seeded library");
  if (r.rows() == 1 && !r.is_null(0, 0) && r.text(0, 0) == marker) {
    std::cerr << "  reusing " << name << " (dev seed " << key << ")\n";
    lib.reused = true;
    return lib;
  }
  admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)", {},
              "drop an incomplete seeded library");
  create_from_template(*admin, name);
  std::vector<std::string> argv = {keepsake_binary_, "dev", "seed"};
  argv.insert(argv.end(), seed_args.begin(), seed_args.end());
  auto env = keepsake_env(name);
  env["IMMICH_MEDIA_LOCATION"] = lib.media_location;
  std::cerr << "  seeding " << name << " (dev seed " << key << ")\n";
  lib.seed_output = run(argv, env).out;
  admin->exec("COMMENT ON DATABASE " + db::quote_ident(name) + " IS " + db::quote_literal(marker),
              {}, "mark the seeded library complete");
  return lib;
}

DatabaseConfig BenchEnv::database(const std::string& dbname) const {
  return cluster_.connection_config(dbname);
}

std::string BenchEnv::database_url(const std::string& dbname) const {
  DatabaseConfig c = database(dbname);
  return "postgresql://" + c.user + "@localhost/" + dbname + "?host=" + c.host + "&port=" + c.port;
}

std::string BenchEnv::create_bootstrapped_database(const std::string& prefix) {
  auto admin = db::Connection::open(database("postgres"));
  std::string name = prefix + "_" + std::to_string(++counter_);
  admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)", {},
              "drop an old benchmark database");
  create_from_template(*admin, name);
  return name;
}

std::string BenchEnv::create_empty_database(const std::string& prefix) {
  auto admin = db::Connection::open(database("postgres"));
  std::string name = prefix + "_" + std::to_string(++counter_);
  admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)", {},
              "drop an old benchmark database");
  admin->exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE template0", {},
              "create an empty benchmark database");
  return name;
}

void BenchEnv::create_from_template(db::Connection& admin, const std::string& name) {
  if (template_db_.empty()) {
    template_db_ = "bench_template";
    // Rebuilt once per benchmark (a kept cluster may hold one from an older build).
    admin.exec("DROP DATABASE IF EXISTS " + db::quote_ident(template_db_) + " WITH (FORCE)", {},
               "drop an old benchmark template");
    admin.exec("CREATE DATABASE " + db::quote_ident(template_db_) + " TEMPLATE template0", {},
               "create the benchmark template database");
    Config config = load_config({{"DB_HOSTNAME", "localhost"}});
    config.db = database(template_db_);
    migrations::run_database_boot(config.db, migrations::boot_options_from_config(config));
  }
  admin.exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE " +
                  db::quote_ident(template_db_),
              {}, "copy the bootstrapped template");
  for (const auto& sql : schema::database_setting_statements(schema::immich_schema(), name)) {
    admin.exec(sql, {}, "apply the database setting");
  }
}

void BenchEnv::copy_database(const std::string& source, const std::string& name) {
  auto admin = db::Connection::open(database("postgres"));
  admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)", {}, "drop an old benchmark database");
  admin->exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE " + db::quote_ident(source), {}, "copy a library");
}

std::string fixed_text(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

void BenchEnv::drop_database(const std::string& dbname) {
  auto admin = db::Connection::open(database("postgres"));
  admin->exec("DROP DATABASE IF EXISTS " + db::quote_ident(dbname) + " WITH (FORCE)", {},
              "drop a benchmark database");
}

ProcessResult BenchEnv::run(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env,
                            const std::string& stdout_file) const {
  ProcessOptions o;
  o.argv = argv;
  o.env = minimal_environment(env);
  o.stdout_file = stdout_file;
  ProcessResult r = run_process(o);
  if (!r.ok()) {
    throw Error(ErrorKind::kIo, argv[0] + " failed (exit " + std::to_string(r.exit_code) +
                                    "): " + r.err.substr(0, 2000));
  }
  return r;
}

std::map<std::string, std::string> BenchEnv::keepsake_env(const std::string& dbname) const {
  return {{"DB_URL", database_url(dbname)},
          {"IMMICH_MEDIA_LOCATION", work_dir_ + "/media"},
          {"KEEPSAKE_DATA_DIR", work_dir_ + "/data"},
          {"IMMICH_LOG_LEVEL", "warn"}};
}

std::string BenchEnv::psql() const { return db::EmbeddedPostgres::bindir() + "/psql"; }

Measurement Benchmark::run_keepsake(BenchEnv&, int64_t) {
  throw Error(ErrorKind::kInternal, name() + " has no run_keepsake (nor own_results)");
}

Measurement Benchmark::run_anchor(BenchEnv&, int64_t) {
  throw Error(ErrorKind::kInternal, name() + " has no run_anchor (nor own_results)");
}

Summary summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

void write_section(const std::string& path, const std::string& name, const std::string& body) {
  std::string text;
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.empty()) {
    text =
        "# Keepsake benchmarks\n\n"
        "This file is written by the benchmark harness (`bench/run.sh`, see bench/README.md); "
        "do not edit it by hand. Each section is rewritten by the run of its benchmark and says "
        "how to reproduce it.\n";
  }
  const std::string begin = "<!-- bench:" + name + ":begin -->";
  const std::string end = "<!-- bench:" + name + ":end -->";
  std::string section = begin + "\n" + body + end;
  auto b = text.find(begin);
  auto e = text.find(end);
  if (b != std::string::npos && e != std::string::npos && e > b) {
    text.replace(b, e + end.size() - b, section);
  } else {
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += "\n" + section + "\n";
  }
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw Error(ErrorKind::kIo, "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace keepsake::bench
