// The vector search benchmark (issue 6): top-10 smart search end to end through
// vector::VectorSearch (the search, PostgreSQL's filter checks, then fetching the rows) with the
// built-in HNSW index, pgvector's HNSW index (Immich's DDL) and the exact scan, unfiltered and
// filtered to one owner of five, from 1 and 2 clients, each at recall@10 >= 0.95 (ef_search
// tuned per mode and filter), plus each index's build time, size and memory. Reports its own
// tables (Benchmark::own_results). Targets: built-in >= 3x pgvector's queries/s at the same
// recall, and a build no slower.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include <httplib.h>

#include <thread>

#include "common/error.h"
#include "db/pool.h"
#include "harness.h"
#include "http/routes.h"
#include "http/server.h"
#include "migrations/keepsake_migrations.h"
#include "vector/builtin_index.h"
#include "vector/index_manager.h"
#include "vector/search.h"
#include "vector/vector_service.h"
#include "vector_workload.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;
namespace vw = vector_workload;
using Clock = std::chrono::steady_clock;

constexpr int kQueries = 200;
// The exact scan reads every embedding: a few queries suffice (fewer on large libraries).
constexpr int kExactQueries = 20;
constexpr int kExactQueriesLarge = 5;
constexpr int64_t kLargeLibrary = 500000;
constexpr double kRecallTarget = 0.95;
constexpr double kSpeedupTarget = 3.0;
constexpr std::array kEfLadder = {16, 32, 64, 128, 256, 512, 1000};
constexpr std::array kClientCounts = {1, 2};
// What the built-in path asks the graph for on a page of 10 (graph_filtered,
// src/vector/search.cc).
constexpr size_t kGraphCandidates = 32;
constexpr auto kPingInterval = std::chrono::milliseconds(20);

enum ModeId { kBuiltin, kPgvector, kExact, kModeCount };
enum FilterId { kUnfiltered, kOneOwner, kFilterCount };
constexpr const char* kModeLabels[] = {"built-in HNSW", "pgvector HNSW", "exact scan"};
constexpr const char* kFilterLabels[] = {"none", "one owner of 5"};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format(const char* pattern, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, pattern, value);
  return buf;
}

std::string qps_text(double qps) {
  return format(qps >= 10 ? "%.0f" : qps >= 0.1 ? "%.1f" : "%.3f", qps);
}

// One query as a client runs it: the search, which brings the page's rows. Returns how many of
// the exact top 10 the page holds.
size_t search_page(db::Connection& conn, const vector::VectorSearch& search,
                   const vw::Query& query, const vector::SearchTuning& tuning) {
  vector::SmartSearchOptions options;
  options.embedding = query.embedding;
  options.size = vw::kTopK;
  if (!query.owner.empty()) options.user_ids = {query.owner};
  options.row_columns = "asset.*";
  auto page = search.smart(conn, options, tuning);
  if (page.rows.rows() < static_cast<int>(page.asset_ids.size())) {
    throw Error(ErrorKind::kInternal, "a search page came without its rows");
  }
  const std::set<std::string> wanted(query.exact_top_k.begin(), query.exact_top_k.end());
  size_t hits = 0;
  for (const auto& id : page.asset_ids) hits += wanted.count(id);
  return hits;
}

struct Throughput {
  double queries_per_second = 0;
  double recall = 0;
};

// Runs the queries from `clients` threads, each with its own connection (opened before the clock).
Throughput run_queries(const DatabaseConfig& db, const vector::VectorSearch& search,
                       const std::vector<vw::Query>& queries, int clients,
                       const vector::SearchTuning& tuning) {
  std::vector<std::unique_ptr<db::Connection>> connections;
  for (int c = 0; c < clients; ++c) connections.push_back(db::Connection::open(db));
  std::atomic<size_t> next{0}, hits{0};
  auto client = [&](db::Connection* conn) {
    for (size_t i; (i = next++) < queries.size();) {
      hits += search_page(*conn, search, queries[i], tuning);
    }
  };
  const auto start = Clock::now();
  std::vector<std::future<void>> running;
  for (auto& conn : connections)
    running.push_back(std::async(std::launch::async, client, conn.get()));
  for (auto& r : running) r.get();
  const double seconds = seconds_since(start);
  return {queries.size() / seconds, static_cast<double>(hits) / (queries.size() * vw::kTopK)};
}

int64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

int64_t folder_bytes(const std::string& folder) {
  int64_t bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(folder)) {
    if (f.is_regular_file()) bytes += static_cast<int64_t>(f.file_size());
  }
  return bytes;
}

std::string megabytes(double bytes) { return format("%.1f MB", bytes / 1e6); }

struct LoadedDatabase {
  std::string name;
  DatabaseConfig config;
};

struct Build {
  double seconds = 0;
  std::string index_size, memory;
};

// GET /api/server/ping answered while the built-in index was built.
struct PingStats {
  int sent = 0, answered = 0;
  std::vector<double> ms;
};

// Pings the server every kPingInterval until the service is no longer building.
PingStats ping_while_building(int port, const vector::VectorService& service) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  PingStats stats;
  while (true) {
    const std::string state = service.status()["state"];
    if (state == "ready" || state == "failed") break;
    const auto start = Clock::now();
    auto res = client.Get("/api/server/ping");
    ++stats.sent;
    if (res && res->status == 200) {
      ++stats.answered;
      stats.ms.push_back(1000 * seconds_since(start));
    }
    std::this_thread::sleep_for(kPingInterval);
  }
  return stats;
}

// One mode searching one filter's queries: its tuning and what the runs measured.
struct Cell {
  vector::SearchTuning tuning;
  bool recall_reached = true;  // the tuning found an ef_search reaching kRecallTarget
  std::string tuning_trace;    // "ef 16: 0.931, ef 32: 0.987"
  std::array<std::vector<double>, kClientCounts.size()> qps;  // one value per run
  double recall = 1;                                          // lowest of the runs
  double median_qps(size_t clients_index) const { return summarize(qps[clients_index]).median; }
  // "1504", or with several runs "1504 (1330–2111)": the median and the range of the runs.
  std::string qps_cell(size_t clients_index) const {
    const Summary s = summarize(qps[clients_index]);
    if (qps[clients_index].size() < 2) return qps_text(s.median);
    return qps_text(s.median) + " (" + qps_text(s.min) + "–" + qps_text(s.max) + ")";
  }
};

class VectorBench : public Benchmark {
 public:
  std::string name() const override { return "vector"; }
  std::string title() const override {
    return "vector — smart search: built-in HNSW vs pgvector HNSW vs the exact scan";
  }
  std::string description() const override;
  int64_t default_size() const override { return 10000; }
  // False for the large-library variant: pgvector's build there takes hours on small machines.
  virtual bool with_pgvector() const { return true; }
  std::string size_unit() const override { return "assets"; }
  std::vector<std::string> commands(int64_t size) const override;

  void prepare(BenchEnv& env, int64_t size) override {
    std::cerr << "  generating " << size << " assets and " << kQueries << " queries\n";
    workload_ = vw::make_workload(size, kQueries);
    const size_t exact = size >= kLargeLibrary ? kExactQueriesLarge : kExactQueries;
    for (int f = 0; f < kFilterCount; ++f) {
      const auto& all = f == kUnfiltered ? workload_.unfiltered : workload_.one_owner;
      exact_queries_[f].assign(all.begin(), all.begin() + std::min(exact, all.size()));
    }
    if (with_pgvector()) pgvector_db_ = load_database(env, vw::EmbeddingColumn::kPgvector);
    builtin_db_ = load_database(env, vw::EmbeddingColumn::kRealArray);
  }

  std::optional<std::string> own_results(BenchEnv& env, int64_t size, int runs) override {
    if (with_pgvector()) builds_[kPgvector] = build_pgvector();
    builds_[kBuiltin] = build_builtin(env);
    // The builds left dirty buffers (pgvector's index, the change table): flush them now rather
    // than let a timed checkpoint land in the middle of one mode's measurement.
    db::Connection::open(builtin_db_.config)->exec("CHECKPOINT", {}, "flush the builds' writes");
    for (int f = 0; f < kFilterCount; ++f) {
      for (ModeId m : modes()) tune(m, static_cast<FilterId>(f));
    }
    for (int r = 0; r < runs; ++r) measure_run(r);
    for (int f = 0; f < kFilterCount; ++f) graph_ms_[f] = graph_only_ms(static_cast<FilterId>(f));
    std::string results = report(size, runs);
    service_.reset();
    if (with_pgvector()) env.drop_database(pgvector_db_.name);
    env.drop_database(builtin_db_.name);
    return results;
  }

 private:
  LoadedDatabase load_database(BenchEnv& env, vw::EmbeddingColumn column);
  Build build_pgvector();
  Build build_builtin(BenchEnv& env);
  void tune(ModeId mode, FilterId filter);
  void measure_run(int run);
  Throughput run_mode(ModeId mode, FilterId filter, int clients);
  const std::vector<vw::Query>& queries(ModeId mode, FilterId filter) const;
  // Without pgvector, the exact scan is the built-in mode's own (real[] rows, distances in C++).
  bool on_builtin_database(ModeId mode) const {
    return mode == kBuiltin || (mode == kExact && !with_pgvector());
  }
  const DatabaseConfig& database(ModeId mode) const {
    return on_builtin_database(mode) ? builtin_db_.config : pgvector_db_.config;
  }
  vector::VectorSearch search(ModeId mode) const {
    return on_builtin_database(mode) ? service_->search()
                                     : vector::VectorSearch(vector::Extension::kVector);
  }
  std::vector<ModeId> modes() const {
    if (with_pgvector()) return {kBuiltin, kPgvector, kExact};
    return {kBuiltin, kExact};
  }
  double graph_only_ms(FilterId filter) const;

  std::string report(int64_t size, int runs) const;
  std::string build_table() const;
  std::string query_table() const;
  std::string tuning_lines() const;
  std::string ratio_table() const;
  std::string time_split_line() const;
  std::string ping_line() const;

  vw::Workload workload_;
  std::vector<vw::Query> exact_queries_[kFilterCount];
  LoadedDatabase pgvector_db_, builtin_db_;
  std::unique_ptr<vector::VectorService> service_;  // the built-in index, built as a server does
  Build builds_[2];  // by ModeId: built-in, pgvector
  PingStats pings_;
  Cell cells_[kModeCount][kFilterCount];
  double graph_ms_[kFilterCount] = {};
};

std::string VectorBench::description() const {
  return "Top-10 smart search through `vector::VectorSearch::smart`, end to end: the search "
         "itself (graph or SQL), the filter, visibility and deleted checks in PostgreSQL, and "
         "the 10 asset rows (`asset.*`), which both modes return from the search's own query "
         "as Immich's search query does, from 1 and 2 "
         "client threads with a connection each. The library: N assets of 5 owners "
         "(round-robin) with 512-d embeddings clustered around N/100 centroids, loaded into two "
         "fresh databases holding the columns of Immich's `asset` and `smart_search` that a "
         "search reads — `embedding vector(512)` for pgvector, `real[]` for the built-in mode. "
         "200 queries are noisy copies of stored embeddings, run unfiltered and with userIds = "
         "one owner (20 % of the library, Immich's normal case); recall@10 is against a "
         "brute-force C++ ground truth. Modes: **built-in**, hnswlib graphs (m 16, "
         "ef_construction 100, vectors stored as half floats) — one of every vector and one per "
         "owner — built by the vector service as `keepsake serve` builds them (a cursor over the "
         "table, in the background behind a running HTTP server that the benchmark pings), the "
         "graph asked for 32 candidates (so its ef is at least 32); **pgvector**, Immich's DDL (HNSW, m 16, "
         "ef_construction 300) built with maintenance_work_mem 1GB, searched with `SET LOCAL "
         "hnsw.ef_search` and `hnsw.iterative_scan = strict_order` (a filtered page is never "
         "short); **exact scan**, the same SQL with index scans off (the tests' oracle), on the "
         "first 20 queries (5 from 500 000 assets). For each mode and filter, ef_search is the smallest of 16, 32, 64, "
         "..., 1000 reaching recall@10 ≥ 0.95 (1 client, all queries); queries/s are then "
         "measured at that ef, the modes alternating (built-in, pgvector, exact; then "
         "reversed), and reported as medians of the runs. Each index is built once, then a "
         "CHECKPOINT flushes the builds' writes before any query is timed. Targets "
         "(issue 6): built-in ≥ 3× pgvector's queries/s at the same recall, and a build no "
         "slower.";
}

std::vector<std::string> VectorBench::commands(int64_t) const {
  return {
      "# once, untimed: the library in two fresh databases by COPY (smart_search.embedding "
      "vector(512) | real[])",
      "SET maintenance_work_mem = '1GB'; " +
          vector::vector_index_sql(vector::Extension::kVector, "clip_index") +
          "   # pgvector build, timed",
      "vector::VectorService(config, database, builtin).start()   # built-in build, timed until "
      "ready, in process, while GET /api/server/ping is sent every 20 ms",
      "# each query, in process, one connection per client thread:",
      "vector::VectorSearch(ext, &index).smart(conn, {embedding, size: 10[, userIds: [owner]], "
      "row_columns: \"asset.*\"}, "
      "{ef_search | exact})",
  };
}

LoadedDatabase VectorBench::load_database(BenchEnv& env, vw::EmbeddingColumn column) {
  const bool builtin = column == vw::EmbeddingColumn::kRealArray;
  std::string name = env.create_empty_database(builtin ? "vector_builtin" : "vector_pgvector");
  std::cerr << "  loading " << name << "\n";
  auto conn = db::Connection::open(env.database(name));
  if (builtin) migrations::apply_keepsake_migrations(*conn);  // keepsake.vector_change
  vw::load_library(*conn, workload_.library, column);
  if (builtin) vector::install_change_triggers(*conn);
  return {name, env.database(name)};
}

Build VectorBench::build_pgvector() {
  auto conn = db::Connection::open(pgvector_db_.config);
  conn->exec("SET maintenance_work_mem = '1GB'");
  const auto start = Clock::now();
  conn->exec(vector::vector_index_sql(vector::Extension::kVector, "clip_index"), {},
             "build pgvector's HNSW index");
  Build b;
  b.seconds = seconds_since(start);
  b.index_size = megabytes(conn->exec("SELECT pg_relation_size('clip_index')").int64(0, 0));
  b.memory = "in PostgreSQL's shared_buffers (" + conn->exec("SHOW shared_buffers").text(0, 0) +
             ") and the OS cache; build with maintenance_work_mem 1GB";
  std::cerr << "  pgvector HNSW build " << format("%.1f s", b.seconds) << "\n";
  return b;
}

// Built as `keepsake serve` builds it: the vector service in the background, after an HTTP server
// is up, which is pinged meanwhile. Timed until the service is ready (the graphs saved).
Build VectorBench::build_builtin(BenchEnv& env) {
  Config config;
  config.data_dir = env.work_dir() + "/data";
  config.vector_extension = "builtin";
  service_ = std::make_unique<vector::VectorService>(config, builtin_db_.config,
                                                     vector::Extension::kBuiltin);
  db::Pool pool(builtin_db_.config, 2);
  http::Server server({.host = "127.0.0.1", .port = 0}, {.pool = &pool},
                      [](const auth::Credentials&) -> auth::AuthUser {
                        throw Error(ErrorKind::kUnauthorized, "no users in the benchmark");
                      });
  server.switch_to(http::kNormalRoutes);
  const int port = server.bind();
  std::thread serving([&] { server.run(); });
  const int64_t rss_before = rss_bytes();
  const auto start = Clock::now();
  service_->start();
  pings_ = ping_while_building(port, *service_);
  service_->wait_ready();
  Build b;
  b.seconds = seconds_since(start);
  server.stop();
  serving.join();
  const auto status = service_->status();
  if (status["state"] != "ready" || !service_->clip_index()->ready()) {
    throw Error(ErrorKind::kInternal, "The built-in index did not build: " + status.dump());
  }
  b.memory = "+" + megabytes(static_cast<double>(rss_bytes() - rss_before)) +
             " process RSS during the build (the graphs, plus what the allocator keeps)";
  const std::string folder = vector::builtin_index_folder(config, builtin_db_.config.dbname);
  b.index_size = megabytes(static_cast<double>(folder_bytes(folder))) + " (files saved)";
  std::cerr << "  built-in HNSW build " << format("%.1f s", b.seconds) << ", " << pings_.answered
            << "/" << pings_.sent << " pings answered\n";
  return b;
}

const std::vector<vw::Query>& VectorBench::queries(ModeId mode, FilterId filter) const {
  if (mode == kExact) return exact_queries_[filter];
  return filter == kUnfiltered ? workload_.unfiltered : workload_.one_owner;
}

Throughput VectorBench::run_mode(ModeId mode, FilterId filter, int clients) {
  return run_queries(database(mode), search(mode), queries(mode, filter), clients,
                     cells_[mode][filter].tuning);
}

// The smallest ef_search of the ladder whose recall reaches the target (1 client).
void VectorBench::tune(ModeId mode, FilterId filter) {
  Cell& cell = cells_[mode][filter];
  if (mode == kExact) {
    cell.tuning.exact = true;
    return;
  }
  for (int ef : kEfLadder) {
    cell.tuning.ef_search = ef;
    Throughput t = run_mode(mode, filter, 1);
    cell.tuning_trace += (cell.tuning_trace.empty() ? "ef " : ", ef ") + std::to_string(ef) + ": " +
                         format("%.3f", t.recall);
    cell.recall_reached = t.recall >= kRecallTarget;
    if (cell.recall_reached) break;
  }
  std::cerr << "  tuned " << kModeLabels[mode] << ", filter " << kFilterLabels[filter] << ": "
            << cell.tuning_trace << "\n";
}

// Every mode, filter and client count once; the mode order flips on odd runs.
void VectorBench::measure_run(int run) {
  std::vector<ModeId> order = modes();
  if (run % 2) std::reverse(order.begin(), order.end());
  for (int f = 0; f < kFilterCount; ++f) {
    for (size_t c = 0; c < kClientCounts.size(); ++c) {
      for (ModeId m : order) {
        Throughput t = run_mode(m, static_cast<FilterId>(f), kClientCounts[c]);
        Cell& cell = cells_[m][f];
        cell.qps[c].push_back(t.queries_per_second);
        cell.recall = std::min(cell.recall, t.recall);
        std::cerr << "  run " << run + 1 << " " << kModeLabels[m] << ", filter " << kFilterLabels[f]
                  << ", " << kClientCounts[c] << " client(s): " << qps_text(t.queries_per_second)
                  << " q/s, recall " << format("%.3f", t.recall) << "\n";
      }
    }
  }
}

// Milliseconds per query of the built-in graph search alone (no SQL), at the tuned ef.
double VectorBench::graph_only_ms(FilterId filter) const {
  const auto& qs = queries(kBuiltin, filter);
  const size_t ef = static_cast<size_t>(cells_[kBuiltin][filter].tuning.ef_search);
  const auto start = Clock::now();
  for (const auto& q : qs) {
    std::vector<std::string> owners;
    if (!q.owner.empty()) owners = {q.owner};
    service_->clip_index()->nearest(q.embedding, kGraphCandidates, owners, ef);
  }
  return 1000 * seconds_since(start) / qs.size();
}

std::string VectorBench::report(int64_t size, int runs) const {
  std::ostringstream md;
  md << "### Index build (one build each, " << size << " embeddings)\n\n" << build_table();
  md << "\n### Top-10 smart search, end to end, at recall@10 ≥ 0.95 ("
     << (runs == 1 ? std::string("1 run")
                   : "medians of " + std::to_string(runs) + " runs, their range in brackets")
     << ")\n\n"
     << query_table() << "\n"
     << tuning_lines();
  if (with_pgvector()) {
    md << "\n### Built-in / pgvector queries/s (target ≥ 3× at the same recall)\n\n"
       << ratio_table() << "\n";
  }
  md << time_split_line();
  return md.str();
}

std::string VectorBench::build_table() const {
  const Build& bi = builds_[kBuiltin];
  const Build& pg = builds_[kPgvector];
  std::ostringstream md;
  md << "| mode | build | index size | memory |\n|---|---|---|---|\n";
  md << "| " << kModeLabels[kBuiltin] << " | " << format("%.2f s", bi.seconds) << " | "
     << bi.index_size << " | " << bi.memory << " |\n";
  if (with_pgvector()) {
    md << "| " << kModeLabels[kPgvector] << " | " << format("%.2f s", pg.seconds) << " | "
       << pg.index_size << " | " << pg.memory << " |\n";
    const double ratio = bi.seconds > 0 ? pg.seconds / bi.seconds : 0;
    md << "\nBuild time pgvector / built-in: **" << format("%.2f×", ratio)
       << "** (above 1: the built-in build is faster; ef_construction 100 against Immich's 300). "
       << "Target: a build no slower than pgvector's (ratio ≥ 1.00) — "
       << (ratio >= 1 ? "**met**" : "**missed**") << ".\n";
  }
  md << "\n" << ping_line();
  return md.str();
}

std::string VectorBench::ping_line() const {
  std::vector<double> ms = pings_.ms;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms.empty() ? 0.0 : ms[static_cast<size_t>(q * (ms.size() - 1))]; };
  std::ostringstream md;
  md << "While the built-in index was built (as `keepsake serve` builds it: in the background, "
     << "after the HTTP server is up), `GET /api/server/ping` answered **" << pings_.answered
     << " of " << pings_.sent << "** pings sent one every "
     << std::chrono::milliseconds(kPingInterval).count() << " ms: median "
     << format("%.2f ms", at(0.5)) << ", 99th percentile " << format("%.2f ms", at(0.99))
     << ", slowest " << format("%.2f ms", ms.empty() ? 0.0 : ms.back()) << ".\n";
  return md.str();
}

std::string VectorBench::query_table() const {
  std::ostringstream md;
  md << "| filter | mode | ef_search | recall@10 | q/s, 1 client | q/s, 2 clients |\n"
     << "|---|---|---|---|---|---|\n";
  for (int f = 0; f < kFilterCount; ++f) {
    for (ModeId m : modes()) {
      const Cell& cell = cells_[m][f];
      md << "| " << kFilterLabels[f] << " | " << kModeLabels[m] << " | "
         << (cell.tuning.exact ? std::string("–") : std::to_string(cell.tuning.ef_search)) << " | "
         << format("%.3f", cell.recall) << (cell.recall_reached ? "" : " (below 0.95)") << " | "
         << cell.qps_cell(0) << " | " << cell.qps_cell(1) << " |\n";
    }
  }
  return md.str();
}

std::string VectorBench::tuning_lines() const {
  std::ostringstream md;
  md << "ef_search tuning (recall@10 per ef tried, 1 client):\n\n";
  for (int f = 0; f < kFilterCount; ++f) {
    for (ModeId m : modes()) {
      if (m == kExact) continue;
      md << "- " << kModeLabels[m] << ", filter " << kFilterLabels[f] << ": "
         << cells_[m][f].tuning_trace << "\n";
    }
  }
  return md.str();
}

std::string VectorBench::ratio_table() const {
  std::ostringstream md;
  md << "| filter | 1 client | 2 clients |\n|---|---|---|\n";
  for (int f = 0; f < kFilterCount; ++f) {
    const Cell& bi = cells_[kBuiltin][f];
    const Cell& pg = cells_[kPgvector][f];
    md << "| " << kFilterLabels[f] << " |";
    for (size_t c = 0; c < kClientCounts.size(); ++c) {
      const double ratio = pg.median_qps(c) > 0 ? bi.median_qps(c) / pg.median_qps(c) : 0;
      const bool met = ratio >= kSpeedupTarget && bi.recall_reached && pg.recall_reached;
      md << " " << format("%.2f×", ratio) << " — " << (met ? "**met**" : "**missed**") << " |";
    }
    md << "\n";
  }
  return md.str();
}

// How the built-in end-to-end time splits between the graph and PostgreSQL (1 client).
std::string VectorBench::time_split_line() const {
  std::ostringstream md;
  md << "\nWhere a built-in query's time goes (1 client):";
  for (int f = 0; f < kFilterCount; ++f) {
    const double total_ms = 1000 / cells_[kBuiltin][f].median_qps(0);
    md << (f ? ";" : "") << " filter " << kFilterLabels[f] << ", " << format("%.2f ms", total_ms)
       << " per query, of which the graph search alone " << format("%.2f ms", graph_ms_[f]);
  }
  md << ". Unfiltered, the graph of every vector is asked for " << kGraphCandidates
     << " candidates; filtered to one owner, that owner's graph. The rest is PostgreSQL: one round "
     << "trip, a prepared statement that filters the candidates, returns their rows and reads the "
     << "newest change id. pgvector's path takes four round trips: BEGIN, the SET LOCALs, the "
     << "query returning the rows, COMMIT.\n";
  return md.str();
}

KEEPSAKE_BENCHMARK(VectorBench);

// The same measurement on a large library, without pgvector: its HNSW build with Immich's options
// runs for hours there on a small machine (see the vector section's build figures).
class LargeVectorBench : public VectorBench {
 public:
  std::string name() const override { return "vector-large"; }
  std::string title() const override {
    return "vector-large — smart search on a large library: built-in HNSW vs the exact scan";
  }
  int64_t default_size() const override { return 1000000; }
  bool with_pgvector() const override { return false; }
  std::string description() const override {
    return VectorBench::description() +
           " This large-library variant leaves pgvector out: its HNSW build with Immich's options "
           "took 385–754 s for 100 000 vectors on the 2-core machines of these runs (the vector "
           "section), and grows faster than linearly, so at 1 000 000 it would run for hours. The exact scan here is "
           "the built-in mode's own: the real[] rows read by SQL, distances computed in C++.";
  }
};

KEEPSAKE_BENCHMARK(LargeVectorBench);

}  // namespace
}  // namespace keepsake::bench
