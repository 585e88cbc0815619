#include "storage/path_migration.h"
#include "common/fault_point.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "db/system_metadata.h"

namespace keepsake::storage {
namespace {

using nlohmann::json;

// Parameters shared by the count and the batch statements: $1 = "<from>/", $2 = "<from>" (NULL
// for the root, so that empty paths never match).
db::Params prefix_params(const std::string& from) {
  return {from + "/", from.empty() ? db::Param{} : db::Param{from}};
}

std::string match_condition(const PathColumn& c) {
  auto col = db::quote_ident(c.column);
  return "(starts_with(" + col + ", $1::text) OR " + col + " = $2::text)";
}

std::string count_sql() {
  std::string sql = "SELECT ";
  const auto& cols = path_columns();
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) sql += ", ";
    sql += "(SELECT count(*) FROM " + db::quote_ident(cols[i].table) + " WHERE " +
           match_condition(cols[i]) + ")";
  }
  return sql;
}

// One batch: the next `$4` matching ids after the cursor $3, rewritten to "$5" + the rest.
std::string batch_sql(const PathColumn& c) {
  auto table = db::quote_ident(c.table), col = db::quote_ident(c.column);
  return "WITH batch AS (SELECT \"id\" FROM " + table +
         " WHERE ($3::uuid IS NULL OR \"id\" > $3::uuid) AND " + match_condition(c) +
         " ORDER BY \"id\" LIMIT $4::int), updated AS (UPDATE " + table + " AS t SET " + col +
         " = $5::text || substr(t." + col + ", char_length($1::text)) FROM batch WHERE t.\"id\" = "
         "batch.\"id\" RETURNING t.\"id\") SELECT (SELECT count(*) FROM updated), (SELECT "
         "\"id\"::text FROM batch ORDER BY \"id\" DESC LIMIT 1)";
}

// Physical-order batch: the matching rows of blocks [$3, $4) (a TID range scan), rewritten in
// place. Used when the target does not lie below the source, so a rewritten row never matches
// again wherever its new version lands.
std::string block_batch_sql(const PathColumn& c) {
  auto table = db::quote_ident(c.table), col = db::quote_ident(c.column);
  return "WITH updated AS (UPDATE " + table + " SET " + col + " = $5::text || substr(" + col +
         ", char_length($1::text)) WHERE ctid >= $3::tid AND ctid < $4::tid AND " +
         match_condition(c) + " RETURNING 1) SELECT count(*) FROM updated";
}

// A column is migrated in physical order when it has this many batches of matching rows or
// more; below that the keyset on id is as fast and keeps batches exact.
constexpr int64_t kBlockModeMinBatches = 4;

bool target_below_source(const std::string& from, const std::string& to) {
  return (to + "/").rfind(from + "/", 0) == 0;
}

std::string tid_text(int64_t block) { return "(" + std::to_string(block) + ",0)"; }

// Chooses how a column is walked, once, when its first batch starts (kept in the record so a
// resumed run walks it the same way).
void plan_column(db::Connection& conn, const PathColumn& column, json& state,
                 const std::string& from, const std::string& to, int batch_size) {
  if (state.contains("mode")) return;
  const int64_t total = state["total"].get<int64_t>();
  if (target_below_source(from, to) || total < kBlockModeMinBatches * batch_size) {
    state["mode"] = "id";
    return;
  }
  auto r = conn.exec("SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint",
                     {db::quote_ident(column.table)}, "size " + column.label());
  const int64_t blocks = r.int64(0, 0);
  state["mode"] = "blocks";
  state["end_block"] = blocks;
  // Blocks per batch from the density of matching rows, so a batch rewrites ~batch_size rows.
  state["blocks_per_batch"] =
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(batch_size) * blocks /
                                                std::max<int64_t>(1, total)));
  state["cursor"] = "0";
}

json new_record(const std::string& from, const std::string& to,
                const std::vector<ColumnCount>& counts) {
  json columns = json::object();
  for (const auto& c : counts) {
    columns[c.column] = {{"total", c.rows}, {"done", 0}, {"cursor", nullptr},
                         {"finished", c.rows == 0}};
  }
  return {{"from", from}, {"to", to}, {"columns", columns}};
}

PathMigrationProgress progress_of(const json& record, const std::string& column) {
  PathMigrationProgress p{column};
  for (const auto& [name, c] : record["columns"].items()) {
    p.done += c["done"].get<int64_t>();
    p.total += c["total"].get<int64_t>();
    if (name == column) {
      p.column_done = c["done"].get<int64_t>();
      p.column_total = c["total"].get<int64_t>();
    }
  }
  return p;
}

// Runs batches of one column until none match; returns the rows rewritten by this run.
// In block mode the blocks that existed when the column started are walked in order; then one
// count finds rows a concurrent writer moved or added behind the walk, and the keyset on id
// finishes those.
int64_t migrate_column(db::Connection& conn, const PathColumn& column, json& record,
                       const PathMigrationOptions& options) {
  const auto label = column.label();
  auto& state = record["columns"][label];
  const std::string from = record["from"], to = record["to"];
  if (!state["finished"].get<bool>()) {
    plan_column(conn, column, state, from, to, options.batch_size);
  }
  int64_t rewritten = 0;
  while (!state["finished"].get<bool>()) {
    const bool blocks = state.value("mode", "id") == "blocks";
    db::Transaction tx(conn);
    auto params = prefix_params(from);
    int64_t n = 0;
    if (blocks) {
      const int64_t lo = std::stoll(state["cursor"].get<std::string>());
      const int64_t end = state["end_block"].get<int64_t>();
      const int64_t hi = std::min(end, lo + state["blocks_per_batch"].get<int64_t>());
      if (lo >= end) {
        // The walk is over: anything still matching goes through the keyset on id.
        auto left = tx.exec("SELECT count(*) FROM " + db::quote_ident(column.table) + " WHERE " +
                                match_condition(column),
                            prefix_params(from), "look for paths left in " + label)
                        .int64(0, 0);
        state["mode"] = "id";
        state["cursor"] = nullptr;
        if (left == 0) state["finished"] = true;
      } else {
        params.push_back(tid_text(lo));
        params.push_back(tid_text(hi));
        params.push_back(to);
        n = tx.exec(block_batch_sql(column), params, "rewrite a batch of " + label).int64(0, 0);
        state["cursor"] = std::to_string(hi);
      }
    } else {
      params.push_back(state["cursor"].is_null() ? db::Param{}
                                                 : db::Param{state["cursor"].get<std::string>()});
      params.push_back(std::to_string(options.batch_size));
      params.push_back(to);
      auto r = tx.exec(batch_sql(column), params, "rewrite a batch of " + label);
      n = r.int64(0, 0);
      if (n == 0) state["finished"] = true;
      else state["cursor"] = r.text(0, 1);
    }
    state["done"] = state["done"].get<int64_t>() + n;
    rewritten += n;
    db::SystemMetadataRepository(conn).upsert(kPathMigrationKey, record);
    auto progress = progress_of(record, label);
    if (options.before_commit) options.before_commit(progress);
    fault::point("storage.paths.batch");
    tx.commit();
    if (n > 0 && options.on_progress) options.on_progress(progress);
  }
  return rewritten;
}

void finish(db::Connection& conn, const std::string& from, const std::string& to,
            PathMigrationResult& result) {
  db::Transaction tx(conn);
  db::SystemMetadataRepository repo(conn);
  auto saved = repo.get(db::metadata_key::kMediaLocation);
  if (saved && saved->is_object() && saved->contains("location") &&
      (*saved)["location"].is_string() &&
      normalize_prefix((*saved)["location"].get<std::string>()) == from) {
    repo.upsert(db::metadata_key::kMediaLocation, {{"location", to}});
    result.media_location_saved = true;
  }
  repo.remove(kPathMigrationKey);
  fault::point("storage.paths.finish");
  tx.commit();
}

json load_or_start(db::Connection& conn, const std::string& from, const std::string& to,
                   bool& resumed) {
  auto pending = db::SystemMetadataRepository(conn).get(kPathMigrationKey);
  if (pending) {
    if ((*pending).value("from", "") != from || (*pending).value("to", "") != to) {
      throw Error(ErrorKind::kConflict,
                  "an interrupted path migration from \"" + pending->value("from", "") +
                      "\" to \"" + pending->value("to", "") + "\" is not finished",
                  "run `keepsake storage migrate-paths --from " + pending->value("from", "") +
                      " --to " + pending->value("to", "") + "` to finish it first");
    }
    resumed = true;
    spdlog::info("Resuming the path migration from {} to {}", from, to);
    return *pending;
  }
  auto record = new_record(from, to, count_paths_under(conn, from));
  db::SystemMetadataRepository(conn).upsert(kPathMigrationKey, record);
  return record;
}

}  // namespace

const std::vector<PathColumn>& path_columns() {
  static const std::vector<PathColumn> columns = {{"asset", "originalPath"},
                                                  {"asset_file", "path"},
                                                  {"person", "thumbnailPath"},
                                                  {"user", "profileImagePath"}};
  return columns;
}

int64_t PathMigrationResult::total() const {
  int64_t n = 0;
  for (const auto& c : updated) n += c.rows;
  return n;
}

std::string normalize_prefix(const std::string& path) {
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw Error(ErrorKind::kInvalidArgument, "a path prefix must not be empty",
                "give the folder, e.g. /usr/src/app/upload");
  }
  std::string p = path;
  if (p.back() == '/') p.pop_back();
  return p;
}

std::vector<ColumnCount> count_paths_under(db::Connection& conn, const std::string& from) {
  auto r = conn.exec(count_sql(), prefix_params(normalize_prefix(from)), "count paths to migrate");
  std::vector<ColumnCount> counts;
  for (size_t i = 0; i < path_columns().size(); ++i) {
    counts.push_back({path_columns()[i].label(), r.int64(0, static_cast<int>(i))});
  }
  return counts;
}

std::optional<PendingPathMigration> pending_path_migration(db::Connection& conn) {
  auto pending = db::SystemMetadataRepository(conn).get(kPathMigrationKey);
  if (!pending || !pending->is_object()) return std::nullopt;
  return PendingPathMigration{pending->value("from", ""), pending->value("to", "")};
}

PathMigrationResult migrate_paths(db::Connection& conn, const std::string& from_path,
                                  const std::string& to_path, const PathMigrationOptions& options) {
  PathMigrationResult result{normalize_prefix(from_path), normalize_prefix(to_path)};
  if (options.batch_size < 1) {
    throw Error(ErrorKind::kInvalidArgument, "the batch size must be at least 1");
  }
  if (result.from == result.to && !pending_path_migration(conn)) return result;
  auto record = load_or_start(conn, result.from, result.to, result.resumed);
  fault::point("storage.paths.started");
  for (const auto& column : path_columns()) {
    int64_t n = migrate_column(conn, column, record, options);
    result.updated.push_back({column.label(), n});
  }
  finish(conn, result.from, result.to, result);
  spdlog::info("Migrated {} file paths from {} to {}", result.total(), result.from, result.to);
  return result;
}

void abandon_path_migration(db::Connection& conn) {
  db::SystemMetadataRepository(conn).remove(kPathMigrationKey);
}

}  // namespace keepsake::storage
