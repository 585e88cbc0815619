// keepsake_bench: runs the registered benchmarks (all, or --only NAME) on a throwaway
// PostgreSQL cluster and rewrites their sections of docs/BENCHMARKS.md. Started by bench/run.sh.
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "db/connection.h"
#include "harness.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;

std::string read_first(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      std::string v = colon == std::string::npos ? line : line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "unknown";
}

// "1.02 0.87 0.60": the 1, 5 and 15 minute load averages (other work on the machine shows here).
std::string load_average() {
  std::istringstream in(read_first("/proc/loadavg", ""));
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string machine_description(BenchEnv& env) {
  std::ostringstream out;
  double mem_kb = std::atof(read_first("/proc/meminfo", "MemTotal").c_str());
  utsname u{};
  uname(&u);
  auto conn = db::Connection::open(env.database("postgres"));
  out << std::thread::hardware_concurrency() << " cores (" << read_first("/proc/cpuinfo", "model name")
      << "), " << std::fixed;
  out.precision(1);
  out << mem_kb / 1024 / 1024 << " GiB memory, " << u.sysname << " " << u.release
      << ", PostgreSQL " << conn->server_version() << " (throwaway cluster started by the harness)"
      << "; load average (1, 5, 15 min) when the benchmark started: "
      << load_average();
  return out.str();
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

std::string git_commit() {
  ProcessOptions o;
  o.argv = {"git", "-C", KEEPSAKE_SOURCE_DIR, "rev-parse", "--short", "HEAD"};
  o.env = minimal_environment();
  try {
    ProcessResult r = run_process(o);
    if (r.ok()) return r.out.substr(0, r.out.find('\n'));
  } catch (const Error&) {
  }
  return "unknown";
}

std::string seconds_text(double s) {
  char buf[32];
  if (s < 1) std::snprintf(buf, sizeof buf, "%.1f ms", s * 1000);
  else std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

std::string rate_text(double units, double seconds) {
  if (units <= 0 || seconds <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", units / seconds);
  return buf;
}

struct Runs {
  std::vector<double> seconds, cpu, bytes;
  double units = 0;
  void add(const Measurement& m) {
    seconds.push_back(m.seconds);
    if (m.cpu_seconds >= 0) cpu.push_back(m.cpu_seconds);
    if (m.output_bytes >= 0) bytes.push_back(m.output_bytes);
    units = m.units;
  }
};

std::string bytes_text(double b) {
  char buf[32];
  if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

struct Columns {
  bool rate = false, cpu = false, bytes = false;
};

std::string row(const std::string& label, const Runs& r, const Columns& cols) {
  Summary s = summarize(r.seconds);
  std::string out = "| " + label + " | " + seconds_text(s.median) + " | " + seconds_text(s.min) +
                    " – " + seconds_text(s.max) + " |";
  if (cols.rate) out += " " + rate_text(r.units, s.median) + " |";
  if (cols.cpu) out += " " + (r.cpu.empty() ? std::string("–") : seconds_text(summarize(r.cpu).median)) + " |";
  if (cols.bytes) out += " " + (r.bytes.empty() ? std::string("–") : bytes_text(summarize(r.bytes).median)) + " |";
  return out + "\n";
}

std::string ratio_line(const char* what, double ratio, std::optional<double> target,
                       const std::string& target_text) {
  char buf[320];
  std::snprintf(buf, sizeof buf, "\nRatio %s / Keepsake (medians): **%.2f×** (above 1: Keepsake is faster).\n",
                what, ratio);
  std::string out = buf;
  if (target) {
    std::snprintf(buf, sizeof buf, "Target: %s (ratio ≥ %.2f) — %s.\n",
                  target_text.empty() ? "faster" : target_text.c_str(), *target,
                  ratio >= *target ? "**met**" : "**missed**");
    out += buf;
  }
  return out;
}

// Title, description, date, commit and machine: how every section starts.
std::string section_header(const Benchmark& b, BenchEnv& env, const std::string& build_type) {
  std::ostringstream md;
  md << "## " << b.title() << "\n\n" << b.description() << "\n\n";
  md << "- Date: " << utc_now() << "; commit " << git_commit() << " (" << build_type << " build)\n";
  md << "- Machine: " << machine_description(env) << "\n";
  return md.str();
}

// The findings, then how to reproduce the section: how every section ends.
std::string section_footer(const Benchmark& b, int64_t size, int runs) {
  std::ostringstream md;
  for (const auto& line : b.findings()) md << "\n" << line << "\n";
  md << "\nReproduce (builds a Release binary, starts its own PostgreSQL):\n\n```sh\n"
     << "bench/run.sh --only " << b.name() << " --size " << size << " --runs " << runs
     << "\n```\n\nWhat one run of each way executes:\n\n```sh\n";
  for (const auto& c : b.commands(size)) md << c << "\n";
  md << "```\n\n";
  return md.str();
}

// The section of a benchmark that reported its own results (Benchmark::own_results).
std::string own_report(const Benchmark& b, BenchEnv& env, int64_t size, int runs,
                       const std::string& results, const std::string& build_type) {
  return section_header(b, env, build_type) + "- Size: " + std::to_string(size) + " " +
         b.size_unit() + "; " + std::to_string(runs) + (runs == 1 ? " run" : " runs") + "\n\n" +
         results + section_footer(b, size, runs);
}

std::string report(const Benchmark& b, BenchEnv& env, int64_t size, int runs, const Runs& k,
                   const Runs& a, const Runs& a2, const std::string& build_type) {
  std::ostringstream md;
  Summary ks = summarize(k.seconds), as = summarize(a.seconds);
  const bool second = !b.second_anchor_label().empty();
  Columns cols;
  cols.rate = !b.units_name().empty();
  cols.cpu = !k.cpu.empty() || !a.cpu.empty() || !a2.cpu.empty();
  cols.bytes = !k.bytes.empty() || !a.bytes.empty() || !a2.bytes.empty();
  md << section_header(b, env, build_type);
  md << "- Size: " << size << " " << b.size_unit();
  if (k.units > 0) md << " (" << static_cast<int64_t>(k.units) << " " << b.units_name() << ")";
  md << "; " << runs << " runs of each way, alternating ("
     << (second ? "K A B, B A K, ..." : "K A, A K, ...") << ")\n\n";
  md << "| way | median | min – max |";
  std::string rule = "|---|---|---|";
  if (cols.rate) md << " " << b.units_name() << "/s (median) |", rule += "---|";
  if (cols.cpu) md << " CPU user+sys (median) |", rule += "---|";
  if (cols.bytes) md << " output (median) |", rule += "---|";
  md << "\n" << rule << "\n";
  md << row("Keepsake: " + b.keepsake_label(), k, cols);
  md << row(std::string(second ? "Anchor A: " : "Anchor: ") + b.anchor_label(), a, cols);
  if (second) md << row("Anchor B: " + b.second_anchor_label(), a2, cols);
  double ratio = ks.median > 0 ? as.median / ks.median : 0.0;
  md << ratio_line(second ? "anchor A" : "anchor", ratio, b.target_ratio(), b.target_ratio_text());
  if (second) {
    double r2 = ks.median > 0 ? summarize(a2.seconds).median / ks.median : 0.0;
    md << ratio_line("anchor B", r2, b.second_target_ratio(), b.second_target_ratio_text());
  }
  if (auto target = b.target_seconds()) {
    md << "Target: Keepsake ≤ " << seconds_text(*target) << " — "
       << (ks.max <= *target ? "met by every run" : ks.median <= *target ? "met by the median"
                                                                           : "**missed**")
       << ".\n";
  }
  md << section_footer(b, size, runs);
  return md.str();
}

// Keepsake's way and the anchor's way (and the second anchor's), alternating, `runs` times.
struct AlternatingRuns {
  Runs k, a, a2;
};

AlternatingRuns run_alternating(Benchmark& b, BenchEnv& env, int64_t size, int runs) {
  const bool second = !b.second_anchor_label().empty();
  AlternatingRuns all;
  auto& [k, a, a2] = all;
  for (int r = 0; r < runs; ++r) {
    // K A [B] on even runs, [B] A K on odd ones.
    std::vector<int> order = second ? std::vector<int>{0, 1, 2} : std::vector<int>{0, 1};
    if (r % 2) std::reverse(order.begin(), order.end());
    for (int way : order) {
      Measurement m = way == 0 ? b.run_keepsake(env, size)
                      : way == 1 ? b.run_anchor(env, size)
                                 : b.run_second_anchor(env, size);
      (way == 0 ? k : way == 1 ? a : a2).add(m);
      const char* label = way == 0 ? "keepsake" : way == 1 ? "anchor  " : "anchor B";
      std::cerr << "  run " << r + 1 << " " << label << " " << seconds_text(m.seconds);
      if (m.cpu_seconds >= 0) std::cerr << ", cpu " << seconds_text(m.cpu_seconds);
      if (m.output_bytes >= 0) std::cerr << ", " << bytes_text(m.output_bytes);
      std::cerr << "\n";
    }
  }
  return all;
}

void run_one(Benchmark& b, BenchEnv& env, int64_t size, int runs, const std::string& doc,
             const std::string& build_type) {
  std::cerr << "== " << b.name() << ": " << b.title() << " (size " << size << ", " << runs
            << " runs each)\n";
  b.prepare(env, size);
  std::string body;
  if (auto results = b.own_results(env, size, runs)) {
    body = own_report(b, env, size, runs, *results, build_type);
  } else {
    AlternatingRuns r = run_alternating(b, env, size, runs);
    body = report(b, env, size, runs, r.k, r.a, r.a2, build_type);
  }
  write_section(doc, b.name(), body);
  std::cout << body;
}

int main_impl(int argc, char** argv) {
  log::init("warn");
  CLI::App app{"Keepsake benchmarks: Keepsake's way against the anchor's way, same data"};
  std::string only, cluster_dir, doc = std::string(KEEPSAKE_SOURCE_DIR) + "/docs/BENCHMARKS.md";
  std::string keepsake = KEEPSAKE_BINARY_PATH, build_type = KEEPSAKE_BUILD_TYPE;
  int64_t size = 0;
  int runs = 0;
  bool list = false;
  app.add_option("--only", only, "Run only this benchmark");
  app.add_option("--size", size, "Problem size (default: each benchmark's own)");
  app.add_option("--runs", runs, "Runs of each way (default: each benchmark's own)");
  app.add_option("--doc", doc, "Markdown file to update");
  app.add_option("--keepsake", keepsake, "The keepsake binary to measure");
  app.add_option("--cluster-dir", cluster_dir,
                 "Keep the throwaway cluster (and the libraries it seeded) in this folder and "
                 "reuse it on the next run (default: a temp folder removed at the end)");
  app.add_flag("--list", list, "List the benchmarks");
  CLI11_PARSE(app, argc, argv);
  if (list) {
    for (const auto& [name, make] : registry()) std::cout << name << ": " << make()->title() << "\n";
    return 0;
  }
  if (!only.empty() && !registry().count(only)) {
    throw Error(ErrorKind::kInvalidArgument, "no benchmark named '" + only + "'",
                "bench/run.sh --list shows them");
  }
  std::string dir = (fs::temp_directory_path() / ("keepsake-bench-" + std::to_string(getpid()))).string();
  fs::create_directories(dir);
  const std::string shared = cluster_dir.empty() ? dir : fs::absolute(cluster_dir).string();
  fs::create_directories(shared);
  db::EmbeddedOptions o;
  o.cluster_dir = shared + "/cluster";
  o.port = 30000 + getpid() % 20000;
  o.database = "";
  db::EmbeddedPostgres cluster(o);
  cluster.start();
  int status = 0;
  try {
    for (const auto& [name, make] : registry()) {
      if (!only.empty() && name != only) continue;
      auto b = make();
      std::string work = dir + "/" + name;
      fs::create_directories(work);
      BenchEnv env(cluster, work, keepsake, shared);
      run_one(*b, env, size > 0 ? size : b->default_size(), runs > 0 ? runs : b->default_runs(),
              doc, build_type);
    }
  } catch (const Error& e) {
    std::cerr << "keepsake_bench: error: " << e.full_message() << "\n";
    status = exit_code_for(e.kind());
  }
  cluster.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return status;
}

}  // namespace
}  // namespace keepsake::bench

int main(int argc, char** argv) {
  try {
    return keepsake::bench::main_impl(argc, argv);
  } catch (const keepsake::Error& e) {
    std::cerr << "keepsake_bench: error: " << e.full_message() << "\n";
    return keepsake::exit_code_for(e.kind());
  }
}
