#include "backup/backup_verifications.h"

#include <sys/stat.h>

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

// What the verified file was (NULL for records made before): a later reader can tell whether it
// is still the same file without reading it again.
KEEPSAKE_MIGRATION(backup0201, "0201-backup-verification-identity", R"sql(
  ALTER TABLE keepsake.backup_verification
    ADD COLUMN size bigint, ADD COLUMN mtime_ns bigint, ADD COLUMN sha256 text;
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
  if (conn.exec("SELECT NOT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = "
                "'keepsake' AND table_name = 'backup_verification' AND column_name = 'sha256')")
          .boolean(0, 0)) {
    migrations::apply_keepsake_migrations(conn);
  }
}

struct FileIdentity {
  std::string size, mtime_ns;
};

std::optional<FileIdentity> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  auto ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return FileIdentity{std::to_string(st.st_size), std::to_string(ns)};
}

}  // namespace

VerificationRecord verify_and_record(db::Connection& conn, const std::string& folder,
                                     const std::string& filename) {
  std::string path = resolve_backup_path(folder, filename);
  ensure_table(conn);
  bool ok = true;
  std::string message;
  std::optional<std::string> sha256;
  auto identity = identity_of(path);
  try {
    auto v = verify_backup_file(path, {}, filename);
    if (v.sidecar_checked) sha256 = v.sha256;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt && e.kind() != ErrorKind::kIo) throw;
    ok = false;
    message = e.what();
  }
  std::optional<std::string> size, mtime;
  if (identity) size = identity->size, mtime = identity->mtime_ns;
  auto r = conn.exec(std::string("INSERT INTO keepsake.backup_verification (filename, ok, message, size, mtime_ns, sha256) "
                                 "VALUES ($1, $2, $3, $4, $5, $6) RETURNING filename, ") + kIsoUtc + ", ok, message",
                     {filename, ok ? "true" : "false", message, size, mtime, sha256}, "record the backup verification");
  return records(r).front();
}

std::optional<std::string> still_verified(db::Connection& conn, const std::string& folder,
                                          const std::string& filename) {
  std::string path = resolve_backup_path(folder, filename);
  auto identity = identity_of(path);
  auto sidecar = read_sha256_sidecar(path);
  if (!identity || !sidecar) return std::nullopt;
  ensure_table(conn);
  auto r = conn.exec(
      "SELECT ok AND size = $2::bigint AND mtime_ns = $3::bigint AND sha256 = $4 "
      "FROM keepsake.backup_verification WHERE filename = $1 ORDER BY verified_at DESC, id DESC LIMIT 1",
      {filename, identity->size, identity->mtime_ns, *sidecar}, "read the backup's last verification");
  if (r.rows() == 0 || r.is_null(0, 0) || !r.boolean(0, 0)) return std::nullopt;
  return sidecar;
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
