#include "vector_workload.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>

#include "common/error.h"
#include "vector/builtin_index.h"

namespace keepsake::bench::vector_workload {
namespace {

constexpr float kAssetNoise = 0.6f;  // spread of an asset around its centroid
constexpr float kQueryNoise = 0.3f;  // spread of a query around the stored embedding it copies
constexpr size_t kCopyChunkBytes = 4 << 20;

std::string random_uuid(std::mt19937& rng) {
  std::uniform_int_distribution<uint32_t> u;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%08x%04x", u(rng), u(rng) & 0xffff,
                u(rng) & 0xfff, u(rng) & 0xfff, u(rng), u(rng) & 0xffff);
  return buf;
}

std::vector<float> with_noise(std::vector<float> v, float scale, std::mt19937& rng) {
  std::normal_distribution<float> gauss(0, 1);
  for (auto& x : v) x += scale * gauss(rng);
  return v;
}

Library make_library(int64_t assets, std::mt19937& rng) {
  std::normal_distribution<float> gauss(0, 1);
  std::vector<std::vector<float>> centroids(std::max<int64_t>(16, assets / 100),
                                            std::vector<float>(kDimension));
  for (auto& c : centroids) {
    for (auto& x : c) x = gauss(rng);
  }
  Library lib;
  for (int i = 0; i < kOwners; ++i) lib.owners.push_back(random_uuid(rng));
  std::uniform_int_distribution<size_t> pick(0, centroids.size() - 1);
  for (int64_t i = 0; i < assets; ++i) {
    lib.ids.push_back(random_uuid(rng));
    lib.owner_of.push_back(lib.owners[i % kOwners]);
    lib.embeddings.push_back(with_noise(centroids[pick(rng)], kAssetNoise, rng));
  }
  return lib;
}

std::vector<double> inverse_norms(const Library& lib) {
  std::vector<double> out;
  out.reserve(lib.embeddings.size());
  for (const auto& v : lib.embeddings) {
    double sum = 0;
    for (float x : v) sum += static_cast<double>(x) * x;
    out.push_back(1 / std::sqrt(sum));
  }
  return out;
}

// The kTopK assets of `owner` (any owner when empty) nearest to q by cosine distance.
std::vector<std::string> exact_top_k(const Library& lib, const std::vector<double>& inv_norms,
                                     const std::vector<float>& q, const std::string& owner) {
  std::vector<std::pair<double, size_t>> scored;  // (-cosine similarity x |q|, asset)
  for (size_t i = 0; i < lib.ids.size(); ++i) {
    if (!owner.empty() && lib.owner_of[i] != owner) continue;
    double dot = 0;
    for (int d = 0; d < kDimension; ++d) dot += static_cast<double>(lib.embeddings[i][d]) * q[d];
    scored.push_back({-dot * inv_norms[i], i});
  }
  const size_t k = std::min<size_t>(kTopK, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end());
  std::vector<std::string> ids;
  for (size_t i = 0; i < k; ++i) ids.push_back(lib.ids[scored[i].second]);
  return ids;
}

void copy_rows(db::Connection& conn, const std::string& copy_sql, size_t rows,
               const std::function<std::string(size_t)>& line) {
  conn.copy_in_begin(copy_sql, "load the vector benchmark library");
  std::string chunk;
  for (size_t i = 0; i < rows; ++i) {
    chunk += line(i);
    if (chunk.size() > kCopyChunkBytes) conn.copy_in_put(chunk), chunk.clear();
  }
  conn.copy_in_put(chunk);
  conn.copy_in_end();
}

void require_pgvector(db::Connection& conn) {
  if (conn.exec("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").empty()) {
    throw Error(ErrorKind::kUnavailable,
                "pgvector is not installed in PostgreSQL " + conn.server_version(),
                "scripts/setup.sh builds and installs pgvector 0.8.0");
  }
  conn.exec("CREATE EXTENSION vector");
}

void create_tables(db::Connection& conn, EmbeddingColumn column) {
  conn.exec_script(R"sql(
    CREATE TYPE asset_visibility_enum AS ENUM ('archive', 'timeline', 'hidden', 'locked');
    CREATE TABLE asset (id uuid PRIMARY KEY, "ownerId" uuid NOT NULL, type varchar NOT NULL,
      "originalPath" varchar NOT NULL, "fileCreatedAt" timestamptz NOT NULL,
      "createdAt" timestamptz NOT NULL DEFAULT now(), "isFavorite" boolean NOT NULL DEFAULT false,
      "deletedAt" timestamptz, visibility asset_visibility_enum NOT NULL DEFAULT 'timeline',
      "stackId" uuid, "duplicateId" uuid);
    CREATE INDEX asset_owner_idx ON asset ("ownerId");
  )sql");
  const char* type = column == EmbeddingColumn::kPgvector ? "vector(512)" : "real[]";
  conn.exec(std::string("CREATE TABLE smart_search (\"assetId\" uuid PRIMARY KEY REFERENCES "
                        "asset(id) ON DELETE CASCADE, embedding ") +
            type + " NOT NULL)");
}

std::string embedding_text(const std::vector<float>& v, EmbeddingColumn column) {
  std::string text = vector::vector_literal(v);  // "[1,2.5]"
  if (column == EmbeddingColumn::kRealArray) text = "{" + text.substr(1, text.size() - 2) + "}";
  return text;
}

}  // namespace

Workload make_workload(int64_t assets, int queries) {
  std::mt19937 rng(7);
  Workload w{make_library(assets, rng), {}, {}};
  const Library& lib = w.library;
  const auto inv_norms = inverse_norms(lib);
  std::uniform_int_distribution<size_t> pick(0, lib.ids.size() - 1);
  for (int i = 0; i < queries; ++i) {
    auto q = with_noise(lib.embeddings[pick(rng)], kQueryNoise, rng);
    const std::string& owner = lib.owners[i % kOwners];
    w.unfiltered.push_back({q, "", exact_top_k(lib, inv_norms, q, "")});
    w.one_owner.push_back({q, owner, exact_top_k(lib, inv_norms, q, owner)});
  }
  return w;
}

void load_library(db::Connection& conn, const Library& lib, EmbeddingColumn column) {
  if (column == EmbeddingColumn::kPgvector) require_pgvector(conn);
  create_tables(conn, column);
  copy_rows(conn,
            "COPY asset (id, \"ownerId\", type, \"originalPath\", \"fileCreatedAt\") FROM STDIN",
            lib.ids.size(), [&](size_t i) {
              return lib.ids[i] + "\t" + lib.owner_of[i] + "\tIMAGE\t/p/" + std::to_string(i) +
                     ".jpg\t2024-01-01T00:00:00Z\n";
            });
  copy_rows(conn, "COPY smart_search (\"assetId\", embedding) FROM STDIN", lib.ids.size(),
            [&](size_t i) {
              return lib.ids[i] + "\t" + embedding_text(lib.embeddings[i], column) + "\n";
            });
  conn.exec("VACUUM ANALYZE asset");
  conn.exec("VACUUM ANALYZE smart_search");
}

}  // namespace keepsake::bench::vector_workload
