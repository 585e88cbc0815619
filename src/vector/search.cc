#include "vector/search.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "common/error.h"
#include "db/cursor.h"
#include "vector/index_manager.h"

namespace keepsake::vector {
namespace {

std::string add(db::Params& params, db::Param value) {
  params.push_back(std::move(value));
  return "$" + std::to_string(params.size());
}

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string s = "{";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + ids[i];
  return s + "}";
}

void exif_filter(std::string& sql, db::Params& params, const char* column,
                 const std::optional<NullableText>& f) {
  if (!f) return;
  sql += " AND EXISTS (SELECT 1 FROM asset_exif e WHERE e.\"assetId\" = asset.id AND e." +
         db::quote_ident(column) +
         (f->value ? " = " + add(params, *f->value) : std::string(" IS NULL")) + ")";
}

float cosine_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 || nb == 0) return std::numeric_limits<float>::quiet_NaN();
  return static_cast<float>(1.0 - dot / std::sqrt(na * nb));
}

void check_embedding(const std::vector<float>& e) {
  if (e.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "The search embedding is empty",
                "pass a CLIP embedding, a queryAssetId or a text query");
  }
  for (float x : e) {
    if (!std::isfinite(x)) {
      throw Error(ErrorKind::kInvalidArgument, "The search embedding holds a non-finite value");
    }
  }
}

// Built-in path: nearest keys of the graph that pass a PostgreSQL filter. Widens the candidate set
// until `want` pass or the owners' vectors are exhausted; returns nullopt when the caller should
// fall back to the exact scan (very selective filters).
using KeyFilter = std::function<std::set<std::string>(const std::vector<std::string>&)>;
std::optional<std::vector<VectorHit>> graph_filtered(const BuiltinIndex& index,
                                                     const std::vector<float>& q,
                                                     const std::vector<std::string>& owners,
                                                     size_t want, double max_distance,
                                                     const KeyFilter& filter, int ef) {
  const size_t total = index.count(owners);
  size_t k = std::max<size_t>(want * 2, 32);
  while (true) {
    auto hits = index.nearest(q, std::min(k, total), owners, static_cast<size_t>(ef));
    std::vector<std::string> keys;
    for (const auto& h : hits) keys.push_back(h.key);
    auto passing = filter(keys);
    std::vector<VectorHit> out;
    for (const auto& h : hits) {
      if (passing.count(h.key)) out.push_back(h);
    }
    bool exhausted = k >= total;
    bool beyond = !hits.empty() && hits.back().distance > max_distance;
    if (out.size() >= want || exhausted || beyond) {
      if (out.size() > want) out.resize(want);
      return out;
    }
    if (k >= 16384) return std::nullopt;
    k *= 4;
  }
}

// Exact-scan order: nearest first, a NaN distance (a zero vector) last as in PostgreSQL, ties by
// key so that successive pages of the same search agree.
bool nearer(const VectorHit& a, const VectorHit& b) {
  const float da = std::isnan(a.distance) ? std::numeric_limits<float>::infinity() : a.distance;
  const float db = std::isnan(b.distance) ? std::numeric_limits<float>::infinity() : b.distance;
  return da != db ? da < db : a.key < b.key;
}

// The `limit` nearest rows of an (id, embedding text) query, nearest first. The rows are read
// through a cursor in batches and only the nearest are kept, so a large library never sits in
// memory at once (searches scan it all while the first build of the graphs runs).
std::vector<VectorHit> exact_rows(db::Connection& conn, const std::string& sql,
                                  const db::Params& params, const std::vector<float>& q,
                                  size_t limit) {
  std::optional<db::Transaction> own;  // a cursor needs a transaction
  if (PQtransactionStatus(conn.raw()) == PQTRANS_IDLE) own.emplace(conn);
  std::vector<VectorHit> nearest;  // a heap whose top is the farthest kept
  auto keep_nearest = [&](const db::Result& r) {
    for (int i = 0; i < r.rows(); ++i) {
      VectorHit hit{r.text(i, 0), cosine_distance(q, parse_float_array(r.text(i, 1)))};
      if (nearest.size() < limit) {
        nearest.push_back(std::move(hit));
        std::push_heap(nearest.begin(), nearest.end(), nearer);
      } else if (limit > 0 && nearer(hit, nearest.front())) {
        std::pop_heap(nearest.begin(), nearest.end(), nearer);
        nearest.back() = std::move(hit);
        std::push_heap(nearest.begin(), nearest.end(), nearer);
      }
    }
  };
  db::for_each_batch(conn, "keepsake_exact_scan", sql, params, 2000, "exact vector scan",
                     keep_nearest);
  if (own) own->commit();
  std::sort_heap(nearest.begin(), nearest.end(), nearer);
  return nearest;
}

// The number of distinct ids, as a parameter (a filter that must match every one of them).
std::string distinct_count(db::Params& params, const std::vector<std::string>& ids) {
  return add(params, std::to_string(std::set<std::string>(ids.begin(), ids.end()).size())) +
         "::bigint";
}

}  // namespace

std::string smart_filter_sql(const SmartSearchOptions& o, db::Params& params) {
  std::string sql = "asset.visibility = " + add(params, o.visibility) + "::asset_visibility_enum";
  if (!o.album_ids.empty()) {
    sql += " AND asset.id IN (SELECT \"assetId\" FROM album_asset WHERE \"albumId\" = ANY(" +
           add(params, uuid_array(o.album_ids)) +
           "::uuid[]) GROUP BY \"assetId\" HAVING count(DISTINCT \"albumId\") = " +
           distinct_count(params, o.album_ids) + ")";
  }
  if (!o.tag_ids.empty()) {
    sql += " AND asset.id IN (SELECT ta.\"assetId\" FROM tag_asset ta JOIN tag_closure tc ON "
           "tc.id_descendant = ta.\"tagId\" WHERE tc.id_ancestor = ANY(" +
           add(params, uuid_array(o.tag_ids)) +
           "::uuid[]) GROUP BY ta.\"assetId\" HAVING count(DISTINCT tc.id_ancestor) = " +
           distinct_count(params, o.tag_ids) + ")";
  }
  if (!o.person_ids.empty()) {
    sql += " AND asset.id IN (SELECT \"assetId\" FROM asset_face WHERE \"personId\" = ANY(" +
           add(params, uuid_array(o.person_ids)) +
           "::uuid[]) AND \"deletedAt\" IS NULL AND \"isVisible\" IS TRUE GROUP BY \"assetId\" "
           "HAVING count(DISTINCT \"personId\") = " +
           distinct_count(params, o.person_ids) + ")";
  }
  if (o.created_before) sql += " AND asset.\"createdAt\" <= " + add(params, *o.created_before) + "::timestamptz";
  if (o.created_after) sql += " AND asset.\"createdAt\" >= " + add(params, *o.created_after) + "::timestamptz";
  if (o.taken_before) sql += " AND asset.\"fileCreatedAt\" <= " + add(params, *o.taken_before) + "::timestamptz";
  if (o.taken_after) sql += " AND asset.\"fileCreatedAt\" >= " + add(params, *o.taken_after) + "::timestamptz";
  exif_filter(sql, params, "city", o.city);
  exif_filter(sql, params, "state", o.state);
  exif_filter(sql, params, "country", o.country);
  exif_filter(sql, params, "make", o.make);
  exif_filter(sql, params, "model", o.model);
  exif_filter(sql, params, "lensModel", o.lens_model);
  if (o.rating) {
    sql += " AND EXISTS (SELECT 1 FROM asset_exif e WHERE e.\"assetId\" = asset.id AND e.rating = " +
           add(params, std::to_string(*o.rating)) + "::int)";
  }
  if (!o.user_ids.empty()) {
    sql += " AND asset.\"ownerId\" = ANY(" + add(params, uuid_array(o.user_ids)) + "::uuid[])";
  }
  if (o.type) sql += " AND asset.type = " + add(params, *o.type);
  if (o.is_favorite) {
    sql += " AND asset.\"isFavorite\" = " + add(params, *o.is_favorite ? "true" : "false") + "::boolean";
  }
  if (!o.with_deleted) sql += " AND asset.\"deletedAt\" IS NULL";
  return sql;
}

namespace {

std::string with_columns(const std::string& columns) {
  return columns.empty() ? std::string() : ", " + columns;
}

// The rows of page ids that a search could not return itself (the exact scan reads embeddings).
db::Result fetch_page_rows(db::Connection& conn, const std::string& columns,
                           const std::vector<std::string>& ids) {
  return conn.exec_prepared("SELECT asset.id::text" + with_columns(columns) +
                                " FROM asset JOIN unnest($1::uuid[]) WITH ORDINALITY AS o(id, n) "
                                "ON o.id = asset.id ORDER BY o.n",
                            {uuid_array(ids)}, "read search results");
}

// Row number of each non-null "id" in rows.
std::map<std::string, int> rows_by_id(const db::Result& rows) {
  std::map<std::string, int> out;
  if (rows.empty()) return out;
  const int id = rows.column("id");
  for (int i = 0; i < rows.rows(); ++i) {
    if (!rows.is_null(i, id)) out[rows.text(i, id)] = i;
  }
  return out;
}

// Gives the page its rows: those the search returned (an "id" column among others), or else read
// now. An asset deleted since the search leaves the page.
void attach_rows(db::Connection& conn, const std::string& columns, db::Result rows,
                 SearchPage& page) {
  auto row_of_id = rows_by_id(rows);
  auto has_row = [&](const std::string& id) { return row_of_id.count(id) > 0; };
  if (!std::all_of(page.asset_ids.begin(), page.asset_ids.end(), has_row)) {
    rows = fetch_page_rows(conn, columns, page.asset_ids);
    row_of_id = rows_by_id(rows);
  }
  SearchPage kept;
  kept.has_next_page = page.has_next_page;
  for (size_t i = 0; i < page.asset_ids.size(); ++i) {
    auto it = row_of_id.find(page.asset_ids[i]);
    if (it == row_of_id.end()) continue;
    kept.asset_ids.push_back(page.asset_ids[i]);
    kept.distances.push_back(page.distances[i]);
    kept.row_of.push_back(it->second);
  }
  kept.rows = std::move(rows);
  page = std::move(kept);
}

}  // namespace

SearchPage VectorSearch::smart(db::Connection& conn, const SmartSearchOptions& o,
                               const SearchTuning& t) const {
  check_embedding(o.embedding);
  if (o.page < 1 || o.size < 1 || o.size > 1000) {
    throw Error(ErrorKind::kInvalidArgument, "page must be >= 1 and size between 1 and 1000");
  }
  const size_t offset = static_cast<size_t>(o.page - 1) * o.size;
  const size_t want = offset + o.size + 1;
  std::vector<VectorHit> hits;
  db::Result rows;  // the last query's rows of some hits, with an "id" column
  if (ext_ == Extension::kBuiltin) {
    // No SQL vector index in built-in mode: no transaction and no probes. The candidate filter
    // also reads the newest change id, so a write by any client shows in this very search, and
    // returns the candidates' rows, so the page needs no second round trip.
    std::optional<std::vector<VectorHit>> found;
    const bool use_graph = clip_ && clip_->ready() && !t.exact;
    for (int attempt = 0; use_graph && attempt < 3; ++attempt) {
      int64_t newest = 0;
      KeyFilter filter = [&](const std::vector<std::string>& keys) {
        db::Params params;
        std::string where = smart_filter_sql(o, params);
        rows = conn.exec_prepared(
            "SELECT c.newest, asset.id::text" + with_columns(o.row_columns) +
                " FROM (SELECT coalesce(max(id), 0) AS newest FROM keepsake.vector_change) c "
                "LEFT JOIN asset ON asset.id = ANY(" + add(params, uuid_array(keys)) +
                "::uuid[]) AND " + where,
            params, "filter smart search candidates");
        newest = std::max(newest, rows.int64(0, 0));
        std::set<std::string> passing;
        for (const auto& [id, row] : rows_by_id(rows)) passing.insert(id);
        return passing;
      };
      found = graph_filtered(*clip_, o.embedding, o.user_ids, want,
                             std::numeric_limits<double>::infinity(), filter, t.ef_search);
      if (newest <= clip_->last_change()) break;
      clip_->sync(conn);
      found.reset();
    }
    if (found) {
      hits = std::move(*found);
    } else {
      rows = {};
      db::Params params;
      std::string where = smart_filter_sql(o, params);
      hits = exact_rows(conn,
                        "SELECT asset.id::text, smart_search.embedding::text FROM asset JOIN "
                        "smart_search ON asset.id = smart_search.\"assetId\" WHERE " + where,
                        params, o.embedding, want);
    }
  } else {
    db::Transaction tx(conn);
    auto run = [&](bool exact) {
      db::Params params{vector_literal(o.embedding)};
      std::string where = smart_filter_sql(o, params);
      std::string settings = "SET LOCAL vchordrq.probes = " + std::to_string(probes().get("clip_index"));
      if (exact) {
        settings += "; SET LOCAL enable_indexscan = off";
      } else if (ext_ == Extension::kVector) {
        settings += "; SET LOCAL hnsw.ef_search = " + std::to_string(std::clamp(t.ef_search, 1, 1000)) +
                    "; SET LOCAL hnsw.iterative_scan = strict_order";
      }
      conn.exec_script(settings);
      std::string sql = "SELECT asset.id::text, smart_search.embedding <=> $1 AS distance" +
                        with_columns(o.row_columns) +
                        " FROM asset INNER JOIN smart_search ON asset.id = smart_search.\"assetId\" "
                        "WHERE " + where + " ORDER BY smart_search.embedding <=> $1 LIMIT " +
                        add(params, std::to_string(o.size + 1)) + "::int OFFSET " +
                        add(params, std::to_string(offset)) + "::int";
      rows = conn.exec(sql, params, "smart search");
      std::vector<VectorHit> page;
      for (int i = 0; i < rows.rows(); ++i) {
        page.push_back({rows.text(i, 0), static_cast<float>(rows.real(i, 1))});
      }
      return page;
    };
    hits = run(t.exact);
    // An approximate scan may stop early under selective filters: confirm a short page exactly.
    if (!t.exact && hits.size() < static_cast<size_t>(o.size) + 1) hits = run(true);
    hits.insert(hits.begin(), offset, VectorHit{});  // align with the built-in path's indexing
    tx.commit();
  }
  SearchPage page;
  for (size_t i = offset; i < hits.size() && i < offset + o.size; ++i) {
    page.asset_ids.push_back(hits[i].key);
    page.distances.push_back(hits[i].distance);
  }
  page.has_next_page = hits.size() > offset + o.size;
  if (!o.row_columns.empty()) attach_rows(conn, o.row_columns, std::move(rows), page);
  return page;
}

std::vector<FaceHit> VectorSearch::faces(db::Connection& conn, const FaceSearchOptions& o,
                                         const SearchTuning& t) const {
  check_embedding(o.embedding);
  const bool use_graph = ext_ == Extension::kBuiltin && face_ && face_->ready() && !t.exact;
  if (use_graph) face_->sync(conn);
  db::Transaction tx(conn);
  set_local_probes(conn, "face_index");
  auto filter_sql = [&](db::Params& params) {
    std::string sql = "asset.\"ownerId\" = ANY(" + add(params, uuid_array(o.user_ids)) +
                      "::uuid[]) AND asset.\"deletedAt\" IS NULL";
    if (o.has_person) sql += " AND asset_face.\"personId\" IS NOT NULL";
    if (o.min_birth_date) {
      sql += " AND (person.\"birthDate\" IS NULL OR person.\"birthDate\" <= " +
             add(params, *o.min_birth_date) + "::date)";
    }
    return sql;
  };
  const std::string from =
      " FROM asset_face INNER JOIN asset ON asset.id = asset_face.\"assetId\" INNER JOIN "
      "face_search ON face_search.\"faceId\" = asset_face.id LEFT JOIN person ON person.id = "
      "asset_face.\"personId\" WHERE ";
  std::vector<VectorHit> hits;
  std::optional<std::vector<VectorHit>> found;
  if (use_graph) {
    KeyFilter filter = [&](const std::vector<std::string>& keys) {
      db::Params params;
      std::string where = filter_sql(params);
      auto r = conn.exec_prepared("SELECT asset_face.id::text" + from + "asset_face.id = ANY(" +
                             add(params, uuid_array(keys)) + "::uuid[]) AND " + where,
                         params, "filter face search candidates");
      std::set<std::string> s;
      for (int i = 0; i < r.rows(); ++i) s.insert(r.text(i, 0));
      return s;
    };
    found = graph_filtered(*face_, o.embedding, o.user_ids, o.num_results, o.max_distance, filter,
                           t.ef_search);
  }
  if (found) {
    hits = std::move(*found);
  } else if (ext_ == Extension::kBuiltin) {
    db::Params params;
    std::string where = filter_sql(params);
    hits = exact_rows(conn, "SELECT asset_face.id::text, face_search.embedding::text" + from + where,
                      params, o.embedding, static_cast<size_t>(std::max(o.num_results, 0)));
  } else {
    db::Params params{vector_literal(o.embedding)};
    std::string where = filter_sql(params);
    if (t.exact) conn.exec("SET LOCAL enable_indexscan = off");
    auto r = conn.exec("SELECT asset_face.id::text, face_search.embedding <=> $1 AS distance" +
                           from + where + " ORDER BY 2 LIMIT " +
                           add(params, std::to_string(o.num_results)) + "::int",
                       params, "face search");
    for (int i = 0; i < r.rows(); ++i) hits.push_back({r.text(i, 0), static_cast<float>(r.real(i, 1))});
  }
  if (hits.size() > static_cast<size_t>(o.num_results)) hits.resize(o.num_results);
  std::vector<std::string> keys;
  for (const auto& h : hits) keys.push_back(h.key);
  auto people = conn.exec("SELECT id::text, \"personId\"::text FROM asset_face WHERE id = ANY($1::uuid[])",
                          {uuid_array(keys)});
  std::map<std::string, std::optional<std::string>> person_of;
  for (int i = 0; i < people.rows(); ++i) person_of[people.text(i, 0)] = people.opt_text(i, 1);
  tx.commit();
  std::vector<FaceHit> out;
  for (const auto& h : hits) {
    if (h.distance <= o.max_distance) out.push_back({h.key, person_of[h.key], h.distance});
  }
  return out;
}

std::vector<DuplicateHit> VectorSearch::duplicates(db::Connection& conn,
                                                   const DuplicateSearchOptions& o,
                                                   const SearchTuning& t) const {
  check_embedding(o.embedding);
  constexpr size_t kLimit = 64;
  const bool use_graph = ext_ == Extension::kBuiltin && clip_ && clip_->ready() && !t.exact;
  if (use_graph) clip_->sync(conn);
  db::Transaction tx(conn);
  set_local_probes(conn, "clip_index");
  auto filter_sql = [&](db::Params& params) {
    return "asset.\"ownerId\" = ANY(" + add(params, uuid_array(o.user_ids)) +
           "::uuid[]) AND asset.\"deletedAt\" IS NULL AND asset.visibility IN ('archive', "
           "'timeline') AND asset.type = " + add(params, o.type) + " AND asset.id != " +
           add(params, o.asset_id) + "::uuid AND asset.\"stackId\" IS NULL";
  };
  const std::string from =
      " FROM asset INNER JOIN smart_search ON asset.id = smart_search.\"assetId\" WHERE ";
  std::vector<VectorHit> hits;
  std::optional<std::vector<VectorHit>> found;
  if (use_graph) {
    KeyFilter filter = [&](const std::vector<std::string>& keys) {
      db::Params params;
      std::string where = filter_sql(params);
      auto r = conn.exec_prepared("SELECT asset.id::text FROM asset WHERE asset.id = ANY(" +
                             add(params, uuid_array(keys)) + "::uuid[]) AND " + where,
                         params, "filter duplicate candidates");
      std::set<std::string> s;
      for (int i = 0; i < r.rows(); ++i) s.insert(r.text(i, 0));
      return s;
    };
    found = graph_filtered(*clip_, o.embedding, o.user_ids, kLimit, o.max_distance, filter,
                           t.ef_search);
  }
  if (found) {
    hits = std::move(*found);
  } else if (ext_ == Extension::kBuiltin) {
    db::Params params;
    std::string where = filter_sql(params);
    hits = exact_rows(conn, "SELECT asset.id::text, smart_search.embedding::text" + from + where,
                      params, o.embedding, kLimit);
  } else {
    db::Params params{vector_literal(o.embedding)};
    std::string where = filter_sql(params);
    if (t.exact) conn.exec("SET LOCAL enable_indexscan = off");
    auto r = conn.exec("SELECT asset.id::text, smart_search.embedding <=> $1 AS distance" + from +
                           where + " ORDER BY 2 LIMIT 64",
                       params, "duplicate search");
    for (int i = 0; i < r.rows(); ++i) hits.push_back({r.text(i, 0), static_cast<float>(r.real(i, 1))});
  }
  if (hits.size() > kLimit) hits.resize(kLimit);
  std::vector<std::string> keys;
  for (const auto& h : hits) keys.push_back(h.key);
  auto dup = conn.exec("SELECT id::text, \"duplicateId\"::text FROM asset WHERE id = ANY($1::uuid[])",
                       {uuid_array(keys)});
  std::map<std::string, std::optional<std::string>> dup_of;
  for (int i = 0; i < dup.rows(); ++i) dup_of[dup.text(i, 0)] = dup.opt_text(i, 1);
  tx.commit();
  std::vector<DuplicateHit> out;
  for (const auto& h : hits) {
    if (h.distance <= o.max_distance) out.push_back({h.key, dup_of[h.key], h.distance});
  }
  return out;
}

std::optional<std::vector<float>> VectorSearch::asset_embedding(db::Connection& conn,
                                                                const std::string& asset_id) {
  auto r = conn.exec("SELECT embedding::text FROM smart_search WHERE \"assetId\" = $1::uuid",
                     {asset_id}, "read the embedding of an asset");
  if (r.empty()) return std::nullopt;
  return parse_float_array(r.text(0, 0));
}

}  // namespace keepsake::vector
