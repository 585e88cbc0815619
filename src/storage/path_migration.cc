#include "storage/path_migration.h"

#include <nlohmann/json.hpp>

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
int64_t migrate_column(db::Connection& conn, const PathColumn& column, json& record,
                       const PathMigrationOptions& options) {
  const auto label = column.label();
  auto& state = record["columns"][label];
  const std::string from = record["from"], to = record["to"];
  const auto sql = batch_sql(column);
  int64_t rewritten = 0;
  while (!state["finished"].get<bool>()) {
    db::Transaction tx(conn);
    auto params = prefix_params(from);
    params.push_back(state["cursor"].is_null() ? db::Param{}
                                               : db::Param{state["cursor"].get<std::string>()});
    params.push_back(std::to_string(options.batch_size));
    params.push_back(to);
    auto r = tx.exec(sql, params, "rewrite a batch of " + label);
    int64_t n = r.int64(0, 0);
    if (n == 0) {
      state["finished"] = true;
    } else {
      state["cursor"] = r.text(0, 1);
      state["done"] = state["done"].get<int64_t>() + n;
      rewritten += n;
    }
    db::SystemMetadataRepository(conn).upsert(kPathMigrationKey, record);
    auto progress = progress_of(record, label);
    if (options.before_commit) options.before_commit(progress);
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
