// Vector search benchmark: built-in HNSW vs pgvector HNSW (Immich's m=16, ef_construction=300)
// vs exact scan, on a seeded library of N assets (5 owners, clustered 512-d embeddings), measured
// end to end through VectorSearch including fetching the result rows. Prints one Markdown table.
//
//   keepsake_vector_bench [N=100000] [queries=200]
//
// Runs against a throwaway PostgreSQL cluster (the test harness's), never an existing database.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "common/log.h"
#include "harness/test_cluster.h"
#include "migrations/keepsake_migrations.h"
#include "vector/builtin_index.h"
#include "vector/index_manager.h"
#include "vector/search.h"

using namespace keepsake;
using namespace keepsake::vector;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kDim = 512;
constexpr int kOwners = 5;
constexpr int kK = 10;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Library {
  std::vector<std::string> ids, owners, owner_of;
  std::vector<std::vector<float>> vectors;
};

Library make_library(int n, std::mt19937& rng) {
  Library lib;
  std::normal_distribution<float> g(0, 1);
  std::vector<std::vector<float>> centroids(std::max(16, n / 100), std::vector<float>(kDim));
  for (auto& c : centroids) for (auto& x : c) x = g(rng);
  char buf[40];
  auto uuid = [&] {
    std::uniform_int_distribution<uint32_t> u;
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%08x%04x", u(rng), u(rng) & 0xffff,
                  u(rng) & 0xfff, u(rng) & 0xfff, u(rng), u(rng) & 0xffff);
    return std::string(buf);
  };
  for (int i = 0; i < kOwners; ++i) lib.owners.push_back(uuid());
  std::uniform_int_distribution<size_t> pick(0, centroids.size() - 1);
  for (int i = 0; i < n; ++i) {
    lib.ids.push_back(uuid());
    lib.owner_of.push_back(lib.owners[i % kOwners]);
    auto v = centroids[pick(rng)];
    for (auto& x : v) x += 0.6f * g(rng);
    lib.vectors.push_back(std::move(v));
  }
  return lib;
}

void create_schema(db::Connection& conn, bool builtin) {
  if (!builtin) conn.exec("CREATE EXTENSION vector");
  conn.exec_script(R"sql(
    CREATE TYPE asset_visibility_enum AS ENUM ('archive', 'timeline', 'hidden', 'locked');
    CREATE TABLE asset (id uuid PRIMARY KEY, "ownerId" uuid NOT NULL, type varchar NOT NULL,
      "originalPath" varchar NOT NULL, "fileCreatedAt" timestamptz NOT NULL,
      "createdAt" timestamptz NOT NULL DEFAULT now(), "isFavorite" boolean NOT NULL DEFAULT false,
      "deletedAt" timestamptz, visibility asset_visibility_enum NOT NULL DEFAULT 'timeline',
      "stackId" uuid, "duplicateId" uuid);
    CREATE INDEX asset_owner_idx ON asset ("ownerId");
  )sql");
  conn.exec(std::string("CREATE TABLE smart_search (\"assetId\" uuid PRIMARY KEY REFERENCES asset(id) "
                        "ON DELETE CASCADE, embedding ") +
            (builtin ? "real[]" : "vector(512)") + " NOT NULL)");
}

void load(db::Connection& conn, const Library& lib, bool builtin) {
  std::string chunk;
  conn.copy_in_begin("COPY asset (id, \"ownerId\", type, \"originalPath\", \"fileCreatedAt\") FROM STDIN");
  for (size_t i = 0; i < lib.ids.size(); ++i) {
    chunk += lib.ids[i] + "\t" + lib.owner_of[i] + "\tIMAGE\t/p/" + std::to_string(i) +
             ".jpg\t2024-01-01T00:00:00Z\n";
    if (chunk.size() > (1 << 20)) conn.copy_in_put(chunk), chunk.clear();
  }
  conn.copy_in_put(chunk);
  conn.copy_in_end();
  chunk.clear();
  conn.copy_in_begin("COPY smart_search (\"assetId\", embedding) FROM STDIN");
  for (size_t i = 0; i < lib.ids.size(); ++i) {
    std::string v = vector_literal(lib.vectors[i]);
    if (builtin) v = "{" + v.substr(1, v.size() - 2) + "}";
    chunk += lib.ids[i] + "\t" + v + "\n";
    if (chunk.size() > (4 << 20)) conn.copy_in_put(chunk), chunk.clear();
  }
  conn.copy_in_put(chunk);
  conn.copy_in_end();
  conn.exec("VACUUM ANALYZE asset");
  conn.exec("VACUUM ANALYZE smart_search");
}

std::vector<std::string> truth(const Library& lib, const std::vector<float>& q,
                               const std::string& owner) {
  auto cosd = [&](const std::vector<float>& a) {
    double d = 0, na = 0, nb = 0;
    for (int i = 0; i < kDim; ++i) d += a[i] * q[i], na += a[i] * a[i], nb += q[i] * q[i];
    return 1 - d / std::sqrt(na * nb);
  };
  std::vector<std::pair<double, size_t>> all;
  for (size_t i = 0; i < lib.ids.size(); ++i) {
    if (owner.empty() || lib.owner_of[i] == owner) all.push_back({cosd(lib.vectors[i]), i});
  }
  std::partial_sort(all.begin(), all.begin() + kK, all.end());
  std::vector<std::string> out;
  for (int i = 0; i < kK; ++i) out.push_back(lib.ids[all[i].second]);
  return out;
}

struct Query {
  std::vector<float> v;
  std::string owner;
  std::vector<std::string> truth;
};

// Runs the queries with `clients` threads; returns {queries/s, recall@10}.
std::pair<double, double> run(const DatabaseConfig& db, const VectorSearch& search,
                              const std::vector<Query>& queries, int clients, SearchTuning t) {
  std::atomic<size_t> next{0}, hits{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto conn = db::Connection::open(db);
      for (size_t i; (i = next++) < queries.size();) {
        SmartSearchOptions o;
        o.embedding = queries[i].v;
        o.size = kK;
        if (!queries[i].owner.empty()) o.user_ids = {queries[i].owner};
        auto page = search.smart(*conn, o, t);
        std::string arr = "{";
        for (auto& id : page.asset_ids) arr += (arr.size() > 1 ? "," : "") + id;
        auto rows = conn->exec("SELECT * FROM asset WHERE id = ANY($1::uuid[])", {arr + "}"});
        std::set<std::string> want(queries[i].truth.begin(), queries[i].truth.end());
        for (auto& id : page.asset_ids) hits += want.count(id);
        (void)rows;
      }
    });
  }
  for (auto& th : threads) th.join();
  double s = seconds_since(start);
  return {queries.size() / s, static_cast<double>(hits) / (queries.size() * kK)};
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int nq = argc > 2 ? std::atoi(argv[2]) : 200;
  spdlog::set_level(spdlog::level::warn);
  std::mt19937 rng(7);
  auto lib = make_library(n, rng);
  std::vector<Query> unfiltered, filtered;
  std::normal_distribution<float> g(0, 1);
  std::uniform_int_distribution<size_t> pick(0, lib.ids.size() - 1);
  for (int i = 0; i < nq; ++i) {
    auto v = lib.vectors[pick(rng)];
    for (auto& x : v) x += 0.3f * g(rng);
    unfiltered.push_back({v, "", truth(lib, v, "")});
    std::string owner = lib.owners[i % kOwners];
    filtered.push_back({v, owner, truth(lib, v, owner)});
  }
  std::printf("| mode | build s | index MB | ef | recall@10 unfiltered | q/s 1 client | q/s 2 clients | recall@10 one owner of 5 | q/s 1 client | q/s 2 clients |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");

  // pgvector.
  {
    auto name = keepsake::testing::create_fresh_database("vbench");
    auto cfg = keepsake::testing::superuser_config(name);
    auto conn = db::Connection::open(cfg);
    create_schema(*conn, false);
    load(*conn, lib, false);
    conn->exec("SET maintenance_work_mem = '1GB'");
    auto t0 = Clock::now();
    conn->exec(vector_index_sql(Extension::kVector, "clip_index"));
    double build = seconds_since(t0);
    double mb = conn->exec("SELECT pg_relation_size('clip_index')").int64(0, 0) / 1048576.0;
    VectorSearch search(Extension::kVector);
    for (int ef : {40, 100, 200}) {
      SearchTuning t;
      t.ef_search = ef;
      auto u1 = run(cfg, search, unfiltered, 1, t);
      auto u2 = run(cfg, search, unfiltered, 2, t);
      auto f1 = run(cfg, search, filtered, 1, t);
      auto f2 = run(cfg, search, filtered, 2, t);
      std::printf("| pgvector hnsw | %.1f | %.1f | %d | %.3f | %.0f | %.0f | %.3f | %.0f | %.0f |\n",
                  build, mb, ef, u1.second, u1.first, u2.first, f1.second, f1.first, f2.first);
      std::fflush(stdout);
    }
    SearchTuning exact;
    exact.exact = true;
    std::vector<Query> few(unfiltered.begin(), unfiltered.begin() + std::min(nq, 20));
    std::vector<Query> fewf(filtered.begin(), filtered.begin() + std::min(nq, 20));
    auto e1 = run(cfg, search, few, 1, exact);
    auto e2 = run(cfg, search, few, 2, exact);
    auto ef1 = run(cfg, search, fewf, 1, exact);
    auto ef2 = run(cfg, search, fewf, 2, exact);
    std::printf("| exact scan (SQL) | - | - | - | %.3f | %.1f | %.1f | %.3f | %.1f | %.1f |\n",
                e1.second, e1.first, e2.first, ef1.second, ef1.first, ef2.first);
    std::fflush(stdout);
    conn.reset();
    keepsake::testing::drop_database(name);
  }
  // Built-in.
  {
    auto name = keepsake::testing::create_fresh_database("vbench");
    auto cfg = keepsake::testing::superuser_config(name);
    auto conn = db::Connection::open(cfg);
    create_schema(*conn, true);
    migrations::apply_keepsake_migrations(*conn);
    install_change_triggers(*conn);
    load(*conn, lib, true);
    keepsake::testing::TempDir dir;
    BuiltinIndex clip("smart_search", dir.path());
    long rss0 = rss_kb();
    auto t0 = Clock::now();
    clip.build(*conn);
    double build = seconds_since(t0);
    long rss1 = rss_kb();
    clip.save();
    double mb = 0;
    for (auto& f : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (f.is_regular_file()) mb += f.file_size() / 1048576.0;
    }
    VectorSearch search(Extension::kBuiltin, &clip, nullptr);
    {
      auto t1 = Clock::now();
      for (const auto& q : unfiltered) clip.nearest(q.v, 2 * kK + 2, {}, 40);
      std::fprintf(stderr, "graph-only unfiltered search: %.3f ms/query\n",
                   1000 * seconds_since(t1) / unfiltered.size());
    }
    for (int ef : {40, 100, 200}) {
      SearchTuning t;
      t.ef_search = ef;
      auto u1 = run(cfg, search, unfiltered, 1, t);
      auto u2 = run(cfg, search, unfiltered, 2, t);
      auto f1 = run(cfg, search, filtered, 1, t);
      auto f2 = run(cfg, search, filtered, 2, t);
      std::printf("| built-in hnsw | %.1f | %.1f (RSS +%.0f) | %d | %.3f | %.0f | %.0f | %.3f | %.0f | %.0f |\n",
                  build, mb, (rss1 - rss0) / 1024.0, ef, u1.second, u1.first, u2.first, f1.second,
                  f1.first, f2.first);
      std::fflush(stdout);
    }
    conn.reset();
    keepsake::testing::drop_database(name);
  }
  return 0;
}
