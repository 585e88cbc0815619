#include "storage/scan_record.h"

#include "common/log.h"

#include "common/error.h"
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

void record_scan(db::Connection& conn, const std::string& started_at, const ScanSummary& s) {
  try {
    migrations::apply_keepsake_migrations(conn);
    conn.exec(R"sql(
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

}  // namespace keepsake::storage
