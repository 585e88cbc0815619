#include "vector/index_manager.h"

#include <bit>
#include <cmath>
#include <regex>

#include "common/error.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "db/index_build_memory.h"

namespace keepsake::vector {

const std::vector<std::string>& vector_index_names() {
  static const std::vector<std::string> kNames = {"clip_index", "face_index"};
  return kNames;
}

std::string table_for_index(const std::string& index) {
  if (index == "clip_index") return "smart_search";
  if (index == "face_index") return "face_search";
  throw Error(ErrorKind::kInvalidArgument, "Unknown vector index '" + index + "'",
              "use clip_index or face_index");
}

uint32_t target_list_count(double rows) {
  // Math.clz32 converts with ToUint32: truncate towards zero, then wrap modulo 2^32.
  auto clz32 = [](double x) {
    double t = std::trunc(x);
    auto u = static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(t)));
    return std::countl_zero(u);
  };
  auto js_shift = [](int shift) { return static_cast<uint32_t>(1u << (shift & 31)); };
  if (rows < 128000) return 1;
  if (rows < 2048000) return js_shift(32 - clz32(rows / 1000));
  return js_shift(33 - clz32(std::sqrt(rows)));
}

uint32_t probes_for_lists(uint32_t lists) { return (lists + 7) / 8; }

std::string vector_index_sql(Extension ext, const std::string& index, uint32_t lists) {
  const std::string table = table_for_index(index);
  const std::string head = "CREATE INDEX IF NOT EXISTS " + index + " ON " + table;
  switch (ext) {
    case Extension::kVector:
      return head + " USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 300, m = 16)";
    case Extension::kVectors:
      return head +
             " USING vectors (embedding vector_cos_ops) WITH (options = $$\n"
             "optimizing.optimizing_threads = 4\n"
             "[indexing.hnsw]\n"
             "m = 16\n"
             "ef_construction = 300\n"
             "$$)";
    case Extension::kVchord:
      return head +
             " USING vchordrq (embedding vector_cosine_ops) WITH (options = $$\n"
             "residual_quantization = false\n"
             "[build.internal]\n"
             "lists = [" + std::to_string(lists) + "]\n"
             "spherical_centroids = true\n"
             "build_threads = 4\n"
             "sampling_factor = 1024\n"
             "$$)";
    case Extension::kBuiltin: break;
  }
  throw Error(ErrorKind::kInternal, "The built-in vector index has no SQL index");
}

std::string embedding_column_type(Extension ext, int dim) {
  switch (ext) {
    case Extension::kVectors: return "vectors.vector(" + std::to_string(dim) + ")";
    case Extension::kBuiltin: return "real[]";
    default: return "vector(" + std::to_string(dim) + ")";
  }
}

uint32_t lists_from_indexdef(const std::string& indexdef) {
  static const std::regex kLists(R"(lists = \[(\d+))");
  std::smatch m;
  if (std::regex_search(indexdef, m, kLists)) return static_cast<uint32_t>(std::stoul(m[1]));
  return 1;
}

uint32_t ProbeTable::get(const std::string& index) const {
  std::lock_guard lock(mu_);
  auto it = probes_.find(index);
  return it == probes_.end() ? 1 : it->second;
}

void ProbeTable::set(const std::string& index, uint32_t value) {
  std::lock_guard lock(mu_);
  probes_[index] = value;
}

ProbeTable& probes() {
  static ProbeTable table;
  return table;
}

void set_local_probes(db::Connection& conn, const std::string& index) {
  conn.exec("SET LOCAL vchordrq.probes = " + std::to_string(probes().get(index)));
}

std::string dimension_constraint_sql(const std::string& table, int dim) {
  return "ALTER TABLE " + db::quote_ident(table) +
         " ADD CONSTRAINT dim_size_constraint CHECK (array_length(embedding::real[], 1) = " +
         std::to_string(dim) + ")";
}

namespace {

std::optional<int> dimension_from_check(db::Connection& conn, const std::string& table) {
  auto r = conn.exec(
      "SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = "
      "k.conrelid WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace AND "
      "k.contype = 'c' AND pg_get_constraintdef(k.oid) LIKE '%array_length%embedding%'",
      {table}, "read the dimension constraint");
  static const std::regex kDim(R"(=\s*(\d+)\)*\s*$)");
  for (int i = 0; i < r.rows(); ++i) {
    std::smatch m;
    std::string def = r.text(i, 0);
    if (std::regex_search(def, m, kDim)) return std::stoi(m[1]);
  }
  return std::nullopt;
}

int64_t row_count(db::Connection& conn, const std::string& table) {
  return conn.exec("SELECT count(*) FROM " + db::quote_ident(table)).int64(0, 0);
}

bool table_exists_with_columns(db::Connection& conn, const std::string& table, bool& has_embedding) {
  auto r = conn.exec(
      "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND "
      "table_schema = 'public'",
      {table}, "read columns");
  has_embedding = false;
  for (int i = 0; i < r.rows(); ++i) has_embedding |= r.text(i, 0) == "embedding";
  return r.rows() > 0;
}

}  // namespace

int get_dimension_size(db::Connection& conn, const std::string& table, const std::string& column) {
  auto r = conn.exec(
      "SELECT atttypmod as dimsize FROM pg_attribute f JOIN pg_class c ON c.oid = f.attrelid "
      "WHERE c.relkind = 'r'::char AND f.attnum > 0 AND c.relname = $1::text AND "
      "f.attname = $2::text",
      {table, column}, "read the embedding dimension");
  if (!r.empty()) {
    int64_t dim = r.int64(0, 0);
    if (dim >= 1 && dim <= 65536) return static_cast<int>(dim);
  }
  if (auto dim = dimension_from_check(conn, table)) return *dim;
  spdlog::warn("Could not retrieve dimension size of column '{}' in table '{}', assuming 512",
               column, table);
  return kDefaultDimension;
}

ReindexDecision vchord_reindex_decision(const std::string& index, const std::string& indexdef,
                                        int64_t rows) {
  std::string lower = indexdef;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ReindexDecision d;
  d.index = index;
  uint32_t lists = lists_from_indexdef(indexdef);
  uint32_t target = target_list_count(static_cast<double>(rows));
  d.reindex = lower.find("using vchordrq") == std::string::npos ||
              (lists != target &&
               lists != target_list_count(static_cast<double>(rows) * kVectorchordListSlackFactor));
  d.lists = d.reindex ? target : lists;
  d.reason = d.reindex ? "lists differ from target" : "up to date";
  return d;
}

std::vector<ReindexDecision> plan_reindex(db::Connection& conn, Extension ext,
                                          const std::vector<std::string>& names) {
  std::vector<ReindexDecision> out;
  if (ext == Extension::kBuiltin) return out;
  std::string array = "{";
  for (const auto& n : names) array += (array.size() > 1 ? "," : "") + n;
  array += "}";
  auto r = conn.exec(
      "SELECT indexdef, indexname FROM pg_indexes WHERE indexname = ANY($1::text[])", {array},
      "read vector index definitions");
  for (const auto& name : names) {
    ReindexDecision d;
    d.index = name;
    std::optional<std::string> def;
    for (int i = 0; i < r.rows(); ++i) {
      if (r.text(i, 1) == name) def = r.text(i, 0);
    }
    if (!def) {
      d.reindex = true;
      d.reason = "missing";
      d.lists = 0;  // reindex_vectors computes targetListCount of the table
      out.push_back(d);
      continue;
    }
    std::string lower = *def;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == Extension::kVector) {
      d.reindex = lower.find("using hnsw") == std::string::npos;
      d.reason = d.reindex ? "not an hnsw index" : "up to date";
    } else if (ext == Extension::kVectors) {
      d.reindex = lower.find("using vectors") == std::string::npos;
      d.reason = d.reindex ? "not a vectors index" : "up to date";
    } else {
      int64_t count = row_count(conn, table_for_index(name));
      d = vchord_reindex_decision(name, *def, count);
      spdlog::info("targetLists={}, current={} for {} of {} rows",
                   target_list_count(static_cast<double>(count)), lists_from_indexdef(*def), name,
                   count);
    }
    out.push_back(d);
  }
  return out;
}

std::vector<ReindexDecision> reindex_vectors_if_needed(db::Connection& conn, Extension ext,
                                                       const std::vector<std::string>& names) {
  auto decisions = plan_reindex(conn, ext, names);
  for (const auto& d : decisions) {
    if (d.reindex) {
      reindex_vectors(conn, ext, d.index, d.lists ? std::optional<uint32_t>(d.lists) : std::nullopt);
    }
    if (ext == Extension::kVchord && d.lists) probes().set(d.index, probes_for_lists(d.lists));
  }
  return decisions;
}

namespace {

// The embedding column's type as format_type shows it, without the schema of pgvector's type.
std::string embedding_type(db::Connection& conn, const std::string& table) {
  auto r = conn.exec(
      "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
      "WHERE attrelid = to_regclass($1) AND attname = 'embedding' AND NOT attisdropped",
      {"public." + table}, "read the embedding column's type");
  if (r.empty()) return "";
  std::string type = r.text(0, 0);
  if (type.starts_with("public.")) type.erase(0, 7);
  return type;
}

// pgvector's and VectorChord's indexes can be built beside the old one while searches use it;
// pgvecto.rs (deprecated) keeps Immich's way.
bool can_reindex_online(db::Connection& conn, Extension ext, const std::string& table, int dim) {
  return (ext == Extension::kVector || ext == Extension::kVchord) &&
         embedding_type(conn, table) == embedding_column_type(ext, dim);
}

void drop_online_build(db::Connection& conn, const std::string& index) {
  conn.exec("DROP INDEX CONCURRENTLY IF EXISTS " + db::quote_ident(online_build_index_name(index)), {},
            "drop an unfinished build of " + index);
}

// The new index replaces the old one in a short transaction. Searches that hold the table make it
// wait; it waits 2 s at most at a time, so the searches queued behind it are not held longer.
void swap_in_online_build(db::Connection& conn, const std::string& index, const std::string& table) {
  for (int attempt = 1;; ++attempt) {
    try {
      db::Transaction tx(conn);
      tx.exec("SET LOCAL lock_timeout = '2s'");
      tx.exec("DROP INDEX IF EXISTS " + db::quote_ident(index));
      if (table == "smart_search") tx.exec("ALTER TABLE smart_search DROP CONSTRAINT IF EXISTS dim_size_constraint");
      tx.exec("ALTER INDEX " + db::quote_ident(online_build_index_name(index)) + " RENAME TO " + db::quote_ident(index));
      tx.commit();
      return;
    } catch (const Error& e) {
      if (e.sqlstate() != "55P03" || attempt >= 30) throw;
      spdlog::info("Reindexing {}: searches hold the table; trying the swap again", index);
    }
  }
}

// Returns false when the concurrent build failed (its leftover dropped): the caller falls back
// to the blocking way.
bool reindex_online(db::Connection& conn, Extension ext, const std::string& index, const std::string& table,
                    uint32_t lists) {
  drop_online_build(conn, index);
  try {
    conn.exec(online_index_sql(ext, index, lists), {}, "build vector index " + index + " beside the old one");
  } catch (const Error& e) {
    spdlog::warn("Reindexing {}: the build beside the old index failed ({}); rebuilding it the way Immich does, "
                 "which holds searches until it is done", index, e.what());
    drop_online_build(conn, index);
    return false;
  }
  try {
    fault::point("vector.reindex.built");
    swap_in_online_build(conn, index, table);
  } catch (...) {
    try {
      drop_online_build(conn, index);
    } catch (const std::exception& e) {
      spdlog::warn("Reindexing {}: the next reindex removes the unused new index ({})", index, e.what());
    }
    throw;
  }
  fault::point("vector.reindex.swapped");
  return true;
}

void reindex_blocking(db::Connection& conn, Extension ext, const std::string& index, const std::string& table,
                      bool has_embedding, int dim, uint32_t lists) {
  const std::string qt = db::quote_ident(table);
  db::Transaction tx(conn);
  tx.exec("DROP INDEX IF EXISTS " + db::quote_ident(index));
  if (table == "smart_search") {
    tx.exec("ALTER TABLE " + qt + " DROP CONSTRAINT IF EXISTS dim_size_constraint");
  }
  if (!has_embedding) {
    spdlog::warn("Column 'embedding' does not exist in table '{}', truncating and adding column.",
                 table);
    tx.exec("TRUNCATE TABLE " + qt);
    tx.exec("ALTER TABLE " + qt + " ADD COLUMN embedding real[] NOT NULL");
  }
  tx.exec("ALTER TABLE " + qt + " ALTER COLUMN embedding SET DATA TYPE real[]");
  tx.exec("ALTER TABLE " + qt + " ALTER COLUMN embedding SET DATA TYPE " +
          embedding_column_type(ext, dim));
  tx.exec(vector_index_sql(ext, index, lists), {}, "create vector index " + index);
  tx.commit();
}

}  // namespace

std::string online_build_index_name(const std::string& index) { return index + "_keepsake_build"; }

std::string online_index_sql(Extension ext, const std::string& index, uint32_t lists) {
  std::string sql = vector_index_sql(ext, index, lists);
  std::string head = "CREATE INDEX IF NOT EXISTS " + index;
  return "CREATE INDEX CONCURRENTLY " + online_build_index_name(index) + sql.substr(head.size());
}

bool reindex_vectors(db::Connection& conn, Extension ext, const std::string& index,
                     std::optional<uint32_t> lists) {
  const std::string table = table_for_index(index);
  if (ext == Extension::kBuiltin) return true;
  spdlog::info("Reindexing {} (This may take a while, do not restart)", index);
  bool has_embedding = false;
  if (!table_exists_with_columns(conn, table, has_embedding)) {
    spdlog::warn(
        "Table {} does not exist, skipping reindexing. This is only normal if this is a new "
        "Immich instance.",
        table);
    return false;
  }
  int dim = get_dimension_size(conn, table);
  uint32_t target = lists ? *lists : target_list_count(static_cast<double>(row_count(conn, table)));
  // Immich builds with the server's maintenance_work_mem (64MB by default), which makes an HNSW
  // build of a large library spill to disk and take many times longer.
  db::SessionMaintenanceMemory build_memory(conn, db::machine_maintenance_work_mem(1));
  bool online = has_embedding && can_reindex_online(conn, ext, table, dim) &&
                reindex_online(conn, ext, index, table, target);
  if (!online) reindex_blocking(conn, ext, index, table, has_embedding, dim, target);
  try {
    conn.exec("VACUUM ANALYZE " + db::quote_ident(table));
  } catch (const Error& e) {
    spdlog::warn("Failed to vacuum table '{}'. The disk usage of the table may be temporarily "
                 "higher than usual until the next vacuum: {}", table, e.what());
  }
  spdlog::info("Reindexed {}", index);
  return true;
}

namespace {

// The embedding column at <dim> and clip_index rebuilt on it (the column type now enforces the
// dimension, so the check constraint goes).
void retype_embeddings(db::Transaction& tx, Extension ext, int dim) {
  tx.exec("drop index if exists clip_index");
  tx.exec("ALTER TABLE smart_search ALTER COLUMN embedding TYPE " +
          (ext == Extension::kVectors ? std::string("vector(") + std::to_string(dim) + ")"
                                      : embedding_column_type(ext, dim)));
  tx.exec(vector_index_sql(ext, "clip_index", 1), {}, "create vector index clip_index");
  tx.exec("ALTER TABLE smart_search DROP CONSTRAINT dim_size_constraint");
}

}  // namespace

void set_dimension_size(db::Connection& conn, Extension ext, int dim) {
  if (dim < 1 || dim > 65536) {
    throw Error(ErrorKind::kInvalidArgument, "Invalid CLIP dimension size: " + std::to_string(dim),
                "use a positive dimension of at most 65536 (e.g. 512 or 768)");
  }
  // One transaction: a crash in between would leave the embeddings deleted and the constraint
  // at the new dimension, but the column and its index at the old one.
  {
    db::Transaction tx(conn);
    if (ext == Extension::kBuiltin) {
      tx.exec("TRUNCATE smart_search");
    } else {
      tx.exec("delete from smart_search");
    }
    tx.exec("ALTER TABLE smart_search DROP CONSTRAINT IF EXISTS dim_size_constraint");
    tx.exec(dimension_constraint_sql("smart_search", dim));
    fault::point("vector.dimension.emptied");
    if (ext != Extension::kBuiltin) retype_embeddings(tx, ext, dim);
    fault::point("vector.dimension.retyped");
    tx.commit();
  }
  fault::point("vector.dimension.committed");
  probes().set("clip_index", 1);
  conn.exec("vacuum analyze smart_search");
}

void delete_all_search_embeddings(db::Connection& conn) { conn.exec("truncate smart_search"); }

}  // namespace keepsake::vector
