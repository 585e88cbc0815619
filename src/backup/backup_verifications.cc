#include "backup/backup_verifications.h"

#include "backup/backup_files.h"
#include "backup/dump_check.h"
#include "common/error.h"
#include "migrations/keepsake_migrations.h"

KEEPSAKE_MIGRATION(backup0200, "0200-backup-verification", R"sql(
  CREATE TABLE keepsake.backup_verification (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    filename text NOT NULL,
    verified_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ok boolean NOT NULL,
    message text NOT NULL DEFAULT ''
  );
  CREATE INDEX backup_verification_at_idx ON keepsake.backup_verification (verified_at);
)sql");

namespace keepsake::backup {
namespace {

constexpr const char* kIsoUtc = R"(to_char(verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))";

std::vector<VerificationRecord> records(const db::Result& r) {
  std::vector<VerificationRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.boolean(i, 2), r.text(i, 3)});
  }
  return out;
}

void ensure_table(db::Connection& conn) {
  if (conn.exec("SELECT to_regclass('keepsake.backup_verification') IS NULL").boolean(0, 0)) {
    migrations::apply_keepsake_migrations(conn);
  }
}

}  // namespace

VerificationRecord verify_and_record(db::Connection& conn, const std::string& folder,
                                     const std::string& filename) {
  std::string path = resolve_backup_path(folder, filename);
  ensure_table(conn);
  bool ok = true;
  std::string message;
  try {
    verify_backup_file(path, {}, filename);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt && e.kind() != ErrorKind::kIo) throw;
    ok = false;
    message = e.what();
  }
  auto r = conn.exec(std::string("INSERT INTO keepsake.backup_verification (filename, ok, message) VALUES ($1, $2, $3) "
                                 "RETURNING filename, ") + kIsoUtc + ", ok, message",
                     {filename, ok ? "true" : "false", message}, "record the backup verification");
  return records(r).front();
}

std::map<std::string, VerificationRecord> latest_verifications(db::Connection& conn) {
  ensure_table(conn);
  auto r = conn.exec(std::string("SELECT DISTINCT ON (filename) filename, ") + kIsoUtc +
                         ", ok, message FROM keepsake.backup_verification ORDER BY filename, verified_at DESC, id DESC",
                     {}, "read the backup verifications");
  std::map<std::string, VerificationRecord> out;
  for (auto& v : records(r)) out[v.filename] = v;
  return out;
}

std::vector<VerificationRecord> verifications_since(db::Connection& conn, int days) {
  ensure_table(conn);
  auto r = conn.exec(std::string("SELECT filename, ") + kIsoUtc +
                         ", ok, message FROM keepsake.backup_verification "
                         "WHERE verified_at > now() - $1::int * interval '1 day' ORDER BY verified_at, id",
                     {std::to_string(days)}, "read the backup verifications");
  return records(r);
}

}  // namespace keepsake::backup
