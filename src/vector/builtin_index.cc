#include "vector/builtin_index.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "db/cursor.h"
#include "migrations/keepsake_migrations.h"

KEEPSAKE_MIGRATION(m0300, "0300-vector-change", R"sql(
CREATE TABLE keepsake.vector_change (
  id bigserial PRIMARY KEY,
  tbl text NOT NULL,
  key uuid,
  op "char" NOT NULL
);
CREATE FUNCTION keepsake.record_vector_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    INSERT INTO keepsake.vector_change (tbl, key, op) VALUES (TG_TABLE_NAME, NULL, 'T');
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO keepsake.vector_change (tbl, key, op)
      VALUES (TG_TABLE_NAME, (to_jsonb(OLD) ->> TG_ARGV[0])::uuid, 'D');
  ELSE
    INSERT INTO keepsake.vector_change (tbl, key, op)
      VALUES (TG_TABLE_NAME, (to_jsonb(NEW) ->> TG_ARGV[0])::uuid, 'U');
  END IF;
  PERFORM pg_notify('keepsake_vector', TG_TABLE_NAME);
  RETURN NULL;
END $$;
)sql");

namespace keepsake::vector {
namespace fs = std::filesystem;
namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 2: half-float graphs plus the graph of every vector (all.hnsw). Older saves are rebuilt.
constexpr int kSavedFormat = 2;

struct TableSql {
  const char* key;
  const char* rows;  // key, owner, embedding
};

TableSql table_sql(const std::string& table) {
  if (table == "smart_search") {
    return {"assetId",
            "SELECT s.\"assetId\"::text, a.\"ownerId\"::text, s.embedding::text FROM "
            "public.smart_search s JOIN public.asset a ON a.id = s.\"assetId\""};
  }
  if (table == "face_search") {
    return {"faceId",
            "SELECT s.\"faceId\"::text, a.\"ownerId\"::text, s.embedding::text FROM "
            "public.face_search s JOIN public.asset_face f ON f.id = s.\"faceId\" "
            "JOIN public.asset a ON a.id = f.\"assetId\""};
  }
  throw Error(ErrorKind::kInvalidArgument, "No built-in vector index for table '" + table + "'");
}

uint64_t uuid_xor(std::string_view uuid) {
  uint64_t halves[2] = {0, 0};
  int nibble = 0;
  for (char c : uuid) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) continue;
    if (nibble < 32) halves[nibble / 16] = (halves[nibble / 16] << 4) | static_cast<uint64_t>(v);
    ++nibble;
  }
  return halves[0] ^ halves[1];
}

std::string uuid_array(const std::vector<std::string>& keys) {
  std::string s = "{";
  for (size_t i = 0; i < keys.size(); ++i) s += (i ? "," : "") + keys[i];
  return s + "}";
}

}  // namespace

std::vector<float> parse_float_array(std::string_view text) {
  std::vector<float> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && (*p == '{' || *p == '[' || *p == ',' || *p == ' ' || *p == '}' || *p == ']'))
      ++p;
    if (p >= end) break;
    float v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc()) {
      throw Error(ErrorKind::kCorrupt, "Cannot parse an embedding near '" +
                                           std::string(p, std::min<size_t>(20, end - p)) + "'");
    }
    out.push_back(v);
    p = next;
  }
  return out;
}

std::string vector_literal(const std::vector<float>& v) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    auto [e, ec] = std::to_chars(buf, buf + sizeof buf, v[i]);
    if (i) s += ',';
    s.append(buf, e);
  }
  return s + "]";
}

void install_change_triggers(db::Connection& conn) {
  for (const char* table : {"smart_search", "face_search"}) {
    if (conn.exec("SELECT to_regclass($1) IS NULL", {std::string("public.") + table}).boolean(0, 0))
      continue;
    std::string key = table_sql(table).key;
    std::string t = "public." + db::quote_ident(table);
    conn.exec("DROP TRIGGER IF EXISTS keepsake_vector_row ON " + t);
    conn.exec("DROP TRIGGER IF EXISTS keepsake_vector_truncate ON " + t);
    conn.exec("CREATE TRIGGER keepsake_vector_row AFTER INSERT OR UPDATE OR DELETE ON " + t +
              " FOR EACH ROW EXECUTE FUNCTION keepsake.record_vector_change(" +
              db::quote_literal(key) + ")");
    conn.exec("CREATE TRIGGER keepsake_vector_truncate AFTER TRUNCATE ON " + t +
              " FOR EACH STATEMENT EXECUTE FUNCTION keepsake.record_vector_change()");
  }
}

TableStamp read_table_stamp(db::Connection& conn, const std::string& table) {
  std::string key = db::quote_ident(table_sql(table).key);
  std::string hex = "translate(" + key + "::text, '-', '')";
  auto r = conn.exec(
      "SELECT count(*), coalesce(bit_xor(('x' || substr(" + hex + ", 1, 16))::bit(64)::bigint # "
      "('x' || substr(" + hex + ", 17, 16))::bit(64)::bigint), 0), "
      "(SELECT coalesce(max(id), 0) FROM keepsake.vector_change) FROM public." +
          db::quote_ident(table),
      {}, "read the stamp of " + table);
  TableStamp s;
  s.rows = r.int64(0, 0);
  s.key_xor = static_cast<uint64_t>(r.int64(0, 1));
  s.last_change = r.int64(0, 2);
  return s;
}

const char* load_outcome_name(LoadOutcome o) {
  switch (o) {
    case LoadOutcome::kBuilt: return "built";
    case LoadOutcome::kReused: return "reused";
    case LoadOutcome::kCaughtUp: return "caught-up";
    case LoadOutcome::kRebuilt: return "rebuilt";
  }
  return "built";
}

BuiltinIndex::BuiltinIndex(std::string table, std::string folder)
    : table_(std::move(table)), folder_(std::move(folder)) {
  table_sql(table_);
}

void BuiltinIndex::clear_locked(int dim, size_t expected_rows) {
  owner_graphs_.clear();
  entries_.clear();
  key_of_label_.clear();
  next_label_ = 0;
  dim_ = dim;
  all_graph_ =
      dim > 0 ? std::make_unique<HnswGraph>(dim, std::max<size_t>(expected_rows, 1024)) : nullptr;
}

HnswGraph& BuiltinIndex::owner_graph_locked(const std::string& owner) {
  auto& graph = owner_graphs_[owner];
  if (!graph) graph = std::make_unique<HnswGraph>(dim_, 1024);
  return *graph;
}

void BuiltinIndex::check_dimension_locked(const std::string& key,
                                          const std::vector<float>& v) const {
  if (static_cast<int>(v.size()) != dim_) {
    throw Error(ErrorKind::kCorrupt, "Embedding of " + key + " has " + std::to_string(v.size()) +
                                         " values, expected " + std::to_string(dim_));
  }
}

void BuiltinIndex::upsert_locked(const std::string& key, const std::string& owner,
                                 const std::vector<float>& v) {
  check_dimension_locked(key, v);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.owner != owner) {
    remove_locked(key);
    it = entries_.end();
  }
  const uint64_t label = it != entries_.end() ? it->second.label : next_label_++;
  owner_graph_locked(owner).upsert(label, v.data());
  all_graph_->upsert(label, v.data());
  key_of_label_[label] = key;
  entries_[key] = {owner, label};
}

// Rows whose keys the index does not hold yet (a build): the graph of every vector is filled on a
// second thread while this one fills the owners' graphs.
void BuiltinIndex::add_new_rows_locked(const std::vector<Row>& rows) {
  std::vector<uint64_t> labels;
  std::vector<HnswGraph*> graphs;
  for (const auto& row : rows) {
    check_dimension_locked(row.key, row.embedding);
    if (entries_.count(row.key)) throw Error(ErrorKind::kCorrupt, "Key " + row.key + " read twice");
    labels.push_back(next_label_++);
    graphs.push_back(&owner_graph_locked(row.owner));
    entries_[row.key] = {row.owner, labels.back()};
    key_of_label_[labels.back()] = row.key;
  }
  auto whole = std::async(std::launch::async, [&] {
    for (size_t i = 0; i < rows.size(); ++i) all_graph_->upsert(labels[i], rows[i].embedding.data());
  });
  for (size_t i = 0; i < rows.size(); ++i) graphs[i]->upsert(labels[i], rows[i].embedding.data());
  whole.get();
}

void BuiltinIndex::remove_locked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  owner_graphs_.at(it->second.owner)->remove(it->second.label);
  all_graph_->remove(it->second.label);
  key_of_label_.erase(it->second.label);
  entries_.erase(it);
}

uint64_t BuiltinIndex::key_xor_locked() const {
  uint64_t x = 0;
  for (const auto& [key, e] : entries_) x ^= uuid_xor(key);
  return x;
}

void BuiltinIndex::build(db::Connection& conn) {
  ready_ = false;
  int dim = 0;
  {
    auto r = conn.exec("SELECT count(*) FROM public." + db::quote_ident(table_));
    rows_total_ = r.int64(0, 0);
    rows_loaded_ = 0;
  }
  int64_t start_change =
      conn.exec("SELECT coalesce(max(id), 0) FROM keepsake.vector_change").int64(0, 0);
  std::unique_lock lock(mu_);
  clear_locked(0);
  db::Transaction tx(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  auto add_batch = [&](const db::Result& r) {
    std::vector<Row> rows(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      rows[i] = {r.text(i, 0), r.text(i, 1), parse_float_array(r.text(i, 2))};
    }
    if (dim == 0) {
      clear_locked(dim = static_cast<int>(rows[0].embedding.size()),
                   static_cast<size_t>(rows_total_.load()));
    }
    add_new_rows_locked(rows);
    rows_loaded_ += r.rows();
  };
  db::for_each_batch(conn, "vector_rows", table_sql(table_).rows, {}, 5000,
                     "read embeddings of " + table_, add_batch);
  tx.commit();
  if (dim == 0) clear_locked(0);
  last_change_ = start_change;
  synced_at_us_ = now_us();
  ready_ = true;
}

size_t BuiltinIndex::refresh_keys(db::Connection& conn, const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  std::string key = db::quote_ident(table_sql(table_).key);
  auto r = conn.exec(std::string(table_sql(table_).rows) + " WHERE s." + key + " = ANY($1::uuid[])",
                     {uuid_array(keys)}, "read changed embeddings of " + table_);
  std::set<std::string> present;
  std::unique_lock lock(mu_);
  for (int i = 0; i < r.rows(); ++i) {
    auto v = parse_float_array(r.text(i, 2));
    if (dim_ == 0 && entries_.empty()) clear_locked(static_cast<int>(v.size()));
    if (static_cast<int>(v.size()) != dim_) {
      throw Error(ErrorKind::kConflict, "dimension changed");
    }
    upsert_locked(r.text(i, 0), r.text(i, 1), v);
    present.insert(r.text(i, 0));
  }
  for (const auto& k : keys) {
    if (!present.count(k)) remove_locked(k);
  }
  return keys.size();
}

size_t BuiltinIndex::sync(db::Connection& conn) {
  // Changes may commit out of id order: re-read a window below the newest id seen (idempotent).
  constexpr int64_t kWindow = 1024;
  std::lock_guard sync_lock(sync_mu_);
  auto newest = conn.exec("SELECT coalesce(max(id), 0) FROM keepsake.vector_change").int64(0, 0);
  if (newest <= last_change_) {
    synced_at_us_ = now_us();
    return 0;
  }
  auto r = conn.exec(
      "SELECT id, key::text, op FROM keepsake.vector_change WHERE tbl = $1 AND id > $2 ORDER BY id",
      {table_, std::to_string(std::max<int64_t>(0, last_change_.load() - kWindow))},
      "read vector changes");
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (int i = 0; i < r.rows(); ++i) {
    if (r.text(i, 2) == "T" && r.int64(i, 0) > last_change_) {
      build(conn);
      return static_cast<size_t>(rows_total_);
    }
    if (!r.is_null(i, 1) && seen.insert(r.text(i, 1)).second) keys.push_back(r.text(i, 1));
  }
  size_t n = 0;
  try {
    n = refresh_keys(conn, keys);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kConflict) throw;
    build(conn);
    return static_cast<size_t>(rows_total_);
  }
  last_change_ = std::max(last_change_.load(), newest);
  synced_at_us_ = now_us();
  return n;
}

void BuiltinIndex::save() const {
  std::shared_lock lock(mu_);
  fs::create_directories(folder_);
  std::string tmp = folder_ + "/" + table_ + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  std::map<std::string, std::vector<const std::pair<const std::string, Entry>*>> by_owner;
  for (const auto& entry : entries_) by_owner[entry.second.owner].push_back(&entry);
  nlohmann::json parts = nlohmann::json::array();
  int i = 0;
  for (const auto& [owner, graph] : owner_graphs_) {
    std::string file = "p" + std::to_string(i++);
    graph->save(tmp + "/" + file + ".hnsw");
    std::ofstream keys(tmp + "/" + file + ".keys");
    for (const auto* entry : by_owner[owner]) keys << entry->second.label << ' ' << entry->first << '\n';
    parts.push_back({{"owner", owner}, {"file", file}});
  }
  if (all_graph_) all_graph_->save(tmp + "/all.hnsw");
  nlohmann::json stamp = {{"format", kSavedFormat},   {"dim", dim_},
                          {"last_change", last_change_.load()}, {"rows", entries_.size()},
                          {"key_xor", key_xor_locked()}, {"next_label", next_label_},
                          {"partitions", parts}};
  std::ofstream(tmp + "/stamp.json") << stamp.dump();
  std::string final_dir = folder_ + "/" + table_;
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
}

bool BuiltinIndex::try_load() {
  std::string dir = folder_ + "/" + table_;
  std::ifstream in(dir + "/stamp.json");
  if (!in) return false;
  try {
    auto stamp = nlohmann::json::parse(in);
    if (stamp.value("format", 1) != kSavedFormat) {
      spdlog::info("The saved vector index of {} has an older format: rebuilding it", table_);
      return false;
    }
    std::unique_lock lock(mu_);
    clear_locked(stamp.at("dim").get<int>());
    next_label_ = stamp.at("next_label").get<uint64_t>();
    for (const auto& p : stamp.at("partitions")) {
      const std::string base = dir + "/" + p.at("file").get<std::string>();
      const std::string owner = p.at("owner").get<std::string>();
      owner_graphs_[owner] = HnswGraph::load(base + ".hnsw", dim_);
      std::ifstream keys(base + ".keys");
      uint64_t label;
      std::string key;
      while (keys >> label >> key) {
        entries_[key] = {owner, label};
        key_of_label_[label] = key;
      }
    }
    if (dim_ > 0) all_graph_ = HnswGraph::load(dir + "/all.hnsw", dim_);
    last_change_ = stamp.at("last_change").get<int64_t>();
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("Ignoring the saved vector index of {}: {}", table_, e.what());
    std::unique_lock lock(mu_);
    clear_locked(0);
    return false;
  }
}

LoadOutcome BuiltinIndex::load_or_build(db::Connection& conn) {
  if (!try_load()) {
    build(conn);
    return LoadOutcome::kBuilt;
  }
  int64_t before = last_change_;
  sync(conn);
  TableStamp now = read_table_stamp(conn, table_);
  bool matches;
  {
    std::shared_lock lock(mu_);
    matches = now.rows == static_cast<int64_t>(entries_.size()) && now.key_xor == key_xor_locked();
  }
  if (!matches) {
    spdlog::info("The saved vector index of {} no longer matches the table: rebuilding", table_);
    build(conn);
    return LoadOutcome::kRebuilt;
  }
  rows_total_ = rows_loaded_ = now.rows;
  synced_at_us_ = now_us();
  ready_ = true;
  return last_change_ == before ? LoadOutcome::kReused : LoadOutcome::kCaughtUp;
}

size_t BuiltinIndex::memory_bytes() const {
  constexpr size_t kPerKey = 160;  // entries_ and key_of_label_ nodes with their key strings
  std::shared_lock lock(mu_);
  size_t bytes = all_graph_ ? all_graph_->memory_bytes() : 0;
  for (const auto& [owner, graph] : owner_graphs_) bytes += graph->memory_bytes();
  return bytes + entries_.size() * kPerKey;
}

int64_t pending_changes(db::Connection& conn, const std::string& table, int64_t applied) {
  return conn.exec("SELECT count(*) FROM keepsake.vector_change WHERE tbl = $1 AND id > $2",
                   {table, std::to_string(applied)}, "count pending vector changes")
      .int64(0, 0);
}

size_t BuiltinIndex::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

size_t BuiltinIndex::count(const std::vector<std::string>& owners) const {
  std::shared_lock lock(mu_);
  return count_locked({owners.begin(), owners.end()});
}

size_t BuiltinIndex::count_locked(const std::set<std::string>& owners) const {
  if (owners.empty()) return entries_.size();
  size_t n = 0;
  for (const auto& o : owners) {
    auto it = owner_graphs_.find(o);
    if (it != owner_graphs_.end()) n += it->second->size();
  }
  return n;
}

// Owners holding at least half of the library are searched in the graph of every vector, asked
// for enough candidates that about k are theirs, and more until k are; fewer owners are searched
// in their own graphs.
std::vector<VectorHit> BuiltinIndex::nearest(const std::vector<float>& query, size_t k,
                                             const std::vector<std::string>& owners,
                                             size_t ef) const {
  std::shared_lock lock(mu_);
  if (entries_.empty() || k == 0) return {};
  if (static_cast<int>(query.size()) != dim_) {
    throw Error(ErrorKind::kInvalidArgument,
                "The query embedding has " + std::to_string(query.size()) +
                    " dimensions, but the index holds " + std::to_string(dim_));
  }
  const std::set<std::string> wanted(owners.begin(), owners.end());
  std::vector<VectorHit> hits;
  auto search = [&](const HnswGraph& graph, size_t candidates, bool check_owner) {
    const size_t kk = std::min(candidates, graph.size());
    if (kk == 0) return;
    for (const auto& h : graph.search(query.data(), kk, std::max(ef, kk))) {
      const std::string& key = key_of_label_.at(h.label);
      if (check_owner && !wanted.count(entries_.at(key).owner)) continue;
      hits.push_back({key, h.distance});
    }
  };
  const size_t owned = count_locked(wanted);
  if (wanted.empty()) {
    search(*all_graph_, k, false);
  } else if (wanted.size() > 1 && owned * 2 >= entries_.size()) {
    for (size_t candidates = (k * entries_.size() + owned - 1) / owned;; candidates *= 2) {
      hits.clear();
      search(*all_graph_, candidates, true);
      if (hits.size() >= std::min(k, owned) || candidates >= entries_.size()) break;
    }
  } else {
    for (const auto& o : wanted) {
      auto it = owner_graphs_.find(o);
      if (it != owner_graphs_.end()) search(*it->second, k, false);
    }
  }
  std::sort(hits.begin(), hits.end(),
            [](const VectorHit& a, const VectorHit& b) { return a.distance < b.distance; });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

}  // namespace keepsake::vector
