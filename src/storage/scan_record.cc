#include "storage/scan_record.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "migrations/keepsake_migrations.h"

namespace keepsake::storage {

KEEPSAKE_MIGRATION(storage0410, "0410-storage-scan-record", R"sql(
  CREATE TABLE keepsake.storage_scan (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    rows bigint NOT NULL,
    files bigint NOT NULL,
    missing_irreplaceable bigint NOT NULL,
    missing_regenerable bigint NOT NULL,
    orphans bigint NOT NULL,
    foreign_paths bigint NOT NULL
  );
)sql");

KEEPSAKE_MIGRATION(storage0411, "0411-storage-scan-file", R"sql(
  CREATE TABLE keepsake.storage_scan_file (
    problem text NOT NULL,
    position integer NOT NULL,
    kind text NOT NULL DEFAULT '',
    source_column text NOT NULL DEFAULT '',
    row_id uuid,
    asset_id uuid,
    owner_id uuid,
    path text NOT NULL,
    PRIMARY KEY (problem, position)
  );
)sql");

namespace {

using nlohmann::json;

// The folder an orphan sits in right below its managed folder ("admin" for library/admin/x.jpg),
// which names its owner by id or storage label; "" for a file directly in a managed folder.
std::string owner_folder(const StorageLayout& layout, const std::string& path) {
  const auto& root = layout.media_location();
  auto rel = std::string_view(path).substr(root == "/" ? 1 : std::min(path.size(), root.size() + 1));
  auto first = rel.find('/');
  if (first == std::string_view::npos) return "";
  auto second = rel.find('/', first + 1);
  if (second == std::string_view::npos) return "";
  return std::string(rel.substr(first + 1, second - first - 1));
}

json findings_json(const ScanReport& report, const StorageLayout& layout) {
  json out = json::array();
  std::map<std::string, int> positions;
  report.for_each_finding(kScanFilesKept, [&](const ScanFinding& f) {
    out.push_back({{"problem", f.problem},
                   {"position", positions[f.problem]++},
                   {"kind", f.kind},
                   {"source_column", f.column},
                   {"row_id", f.id.empty() ? json() : json(f.id)},
                   {"folder", f.problem == "orphan" ? json(owner_folder(layout, f.path)) : json()},
                   {"path", f.path}});
  });
  return out;
}

// Each row's asset and owner: the row's own for a missing or foreign path, the folder's user for an orphan.
constexpr const char* kInsertFilesSql = R"sql(
  INSERT INTO keepsake.storage_scan_file
    (problem, position, kind, source_column, row_id, asset_id, owner_id, path)
  SELECT f.problem, f.position, f.kind, f.source_column, f.row_id::uuid,
         coalesce(a."id", af."assetId"),
         coalesce(a."ownerId", afa."ownerId", p."ownerId", u."id", o."id"), f.path
    FROM jsonb_to_recordset($1::jsonb) AS f(problem text, position int, kind text, source_column text,
                                           row_id text, folder text, path text)
    LEFT JOIN "asset" a ON f.source_column = 'asset.originalPath' AND a."id" = f.row_id::uuid
    LEFT JOIN "asset_file" af ON f.source_column = 'asset_file.path' AND af."id" = f.row_id::uuid
    LEFT JOIN "asset" afa ON afa."id" = af."assetId"
    LEFT JOIN "person" p ON f.source_column = 'person.thumbnailPath' AND p."id" = f.row_id::uuid
    LEFT JOIN "user" u ON f.source_column = 'user.profileImagePath' AND u."id" = f.row_id::uuid
    LEFT JOIN LATERAL (SELECT "id" FROM "user"
                        WHERE f.folder <> '' AND ("id"::text = f.folder OR "storageLabel" = f.folder)
                        ORDER BY "id"::text = f.folder DESC LIMIT 1) o ON true)sql";

void write_record(db::Connection& conn, const std::string& started_at, const ScanReport& report,
                  const StorageLayout& layout) {
  const auto& s = report.summary;
  db::Transaction tx(conn);
  tx.exec(R"sql(
      INSERT INTO keepsake.storage_scan
        (started_at, rows, files, missing_irreplaceable, missing_regenerable, orphans, foreign_paths)
      VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (singleton) DO UPDATE SET
        started_at = EXCLUDED.started_at, finished_at = now(), rows = EXCLUDED.rows, files = EXCLUDED.files,
        missing_irreplaceable = EXCLUDED.missing_irreplaceable, missing_regenerable = EXCLUDED.missing_regenerable,
        orphans = EXCLUDED.orphans, foreign_paths = EXCLUDED.foreign_paths)sql",
          {started_at, std::to_string(s.rows), std::to_string(s.files), std::to_string(s.irreplaceable.count),
           std::to_string(s.regenerable.count), std::to_string(s.orphans), std::to_string(s.foreign)},
          "record the storage scan");
  tx.exec("DELETE FROM keepsake.storage_scan_file", {}, "forget the previous scan's files");
  tx.exec(kInsertFilesSql, {findings_json(report, layout).dump()}, "record the storage scan's problem files");
  tx.commit();
}

int64_t class_count(const ScanSummary& s, std::string_view problem) {
  if (problem == "missing-irreplaceable") return s.irreplaceable.count;
  if (problem == "missing-regenerable") return s.regenerable.count;
  if (problem == "orphan") return s.orphans;
  return s.foreign;
}

}  // namespace

void record_scan(db::Connection& conn, const std::string& started_at, const ScanReport& report,
                 const StorageLayout& layout) {
  try {
    migrations::apply_keepsake_migrations(conn);
    write_record(conn, started_at, report, layout);
  } catch (const Error& e) {
    spdlog::warn("the storage scan's result was not recorded: {}", e.what());
  }
}

std::optional<ScanRecord> read_last_scan(db::Connection& conn) {
  if (conn.exec("SELECT to_regclass('keepsake.storage_scan') IS NULL").boolean(0, 0)) return std::nullopt;
  auto r = conn.exec(R"sql(
    SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           rows, files, missing_irreplaceable, missing_regenerable, orphans, foreign_paths
      FROM keepsake.storage_scan)sql",
                     {}, "read the last storage scan");
  if (r.empty()) return std::nullopt;
  ScanRecord out{r.text(0, 0), r.text(0, 1), {}};
  out.summary.rows = r.int64(0, 2);
  out.summary.files = r.int64(0, 3);
  out.summary.irreplaceable.count = r.int64(0, 4);
  out.summary.regenerable.count = r.int64(0, 5);
  out.summary.orphans = r.int64(0, 6);
  out.summary.foreign = r.int64(0, 7);
  return out;
}

ScanFilePage read_scan_files(db::Connection& conn, std::string_view problem, int64_t offset, int64_t limit) {
  if (std::find(kScanProblems.begin(), kScanProblems.end(), problem) == kScanProblems.end()) {
    throw Error(ErrorKind::kInvalidArgument, "unknown class of problem files \"" + std::string(problem) + "\"",
                "one of missing-irreplaceable, missing-regenerable, orphan, foreign");
  }
  auto last = read_last_scan(conn);
  if (!last) {
    throw Error(ErrorKind::kNotFound, "no database-vs-disk scan has run yet",
                "start one from the console or run `keepsake storage scan`");
  }
  ScanFilePage page{.total = class_count(last->summary, problem)};
  if (conn.exec("SELECT to_regclass('keepsake.storage_scan_file') IS NULL").boolean(0, 0)) return page;
  std::string p(problem);
  page.kept = conn.exec("SELECT count(*) FROM keepsake.storage_scan_file WHERE problem = $1", {p}).int64(0, 0);
  auto r = conn.exec(R"sql(
    SELECT f.kind, f.source_column, coalesce(f.row_id::text, ''), coalesce(f.asset_id::text, ''),
           coalesce(f.owner_id::text, ''), coalesce(u."email", ''), f.path
      FROM keepsake.storage_scan_file f LEFT JOIN "user" u ON u."id" = f.owner_id
     WHERE f.problem = $1 ORDER BY f.position OFFSET $2 LIMIT $3)sql",
                     {p, std::to_string(offset), std::to_string(limit)}, "read the storage scan's problem files");
  for (int i = 0; i < r.rows(); ++i) {
    page.files.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                          r.text(i, 6)});
  }
  return page;
}

}  // namespace keepsake::storage
