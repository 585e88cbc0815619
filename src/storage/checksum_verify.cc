#include "storage/checksum_verify.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "common/error.h"
#include "migrations/keepsake_migrations.h"

namespace keepsake::storage {

KEEPSAKE_MIGRATION(storage0400, "0400-storage-checksum-verify", R"sql(
  CREATE TABLE keepsake.checksum_verify_pass (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    started_at timestamptz NOT NULL DEFAULT now(),
    last_asset_id uuid,
    checked bigint NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0,
    finished_at timestamptz
  );
  CREATE TABLE keepsake.checksum_verify_finding (
    asset_id uuid PRIMARY KEY,
    owner_id uuid NOT NULL,
    path text NOT NULL,
    problem text NOT NULL,
    found_at timestamptz NOT NULL DEFAULT now()
  );
)sql");

namespace {

using Clock = std::chrono::steady_clock;

// pg_try_advisory_lock key of `storage verify` ("ksverify"); outside Immich's DatabaseLock numbers.
constexpr int64_t kVerifyLockId = 0x6b73766572696679LL;
constexpr size_t kReadBuffer = 4 << 20;
constexpr const char* kCoveredAssets = R"sql("status" <> 'deleted')sql";

class EvpSha1 {
 public:
  EvpSha1() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha1(), nullptr) != 1) fail();
  }
  void update(const void* data, size_t n) {
    if (EVP_DigestUpdate(ctx_.get(), data, n) != 1) fail();
  }
  std::string finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), digest, &len) != 1) fail();
    return std::string(reinterpret_cast<char*>(digest), len);
  }

 private:
  [[noreturn]] static void fail() { throw Error(ErrorKind::kInternal, "OpenSSL SHA-1 failed"); }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

class VerifyLock {
 public:
  explicit VerifyLock(db::Connection& conn) : conn_(conn) {
    auto r = conn_.exec("SELECT pg_try_advisory_lock($1)", {std::to_string(kVerifyLockId)});
    if (!r.boolean(0, 0)) {
      throw Error(ErrorKind::kConflict, "another `storage verify` is running on this database",
                  "wait for it to finish; the next run continues where it stops");
    }
  }
  ~VerifyLock() {
    try {
      conn_.exec("SELECT pg_advisory_unlock($1)", {std::to_string(kVerifyLockId)});
    } catch (...) {
    }
  }

 private:
  db::Connection& conn_;
};

struct Asset {
  std::string id, owner_id, path, checksum, algorithm;
};

// Sleeps so that the bytes read so far take at least bytes / rate seconds.
class Throttle {
 public:
  explicit Throttle(double mb_per_second) : bytes_per_second_(mb_per_second * 1e6) {}
  void after(int64_t total_bytes, Clock::time_point started) const {
    if (bytes_per_second_ <= 0) return;
    auto due = started + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(total_bytes / bytes_per_second_));
    if (due > Clock::now()) std::this_thread::sleep_until(due);
  }

 private:
  double bytes_per_second_;
};

// Starts a new pass unless an unfinished one may continue. Returns true when continuing.
bool open_pass(db::Connection& conn, bool restart) {
  auto r = conn.exec(
      "SELECT finished_at IS NULL AND last_asset_id IS NOT NULL "
      "FROM keepsake.checksum_verify_pass");
  bool resumable = !r.empty() && r.boolean(0, 0);
  if (resumable && !restart) return true;
  db::Transaction tx(conn);
  tx.exec("DELETE FROM keepsake.checksum_verify_finding");
  tx.exec(R"sql(
    INSERT INTO keepsake.checksum_verify_pass (singleton) VALUES (true)
    ON CONFLICT (singleton) DO UPDATE SET started_at = now(), last_asset_id = NULL, checked = 0,
      bytes = 0, finished_at = NULL)sql");
  tx.commit();
  return false;
}

// Ordered by the uuid column, walked through its primary key ("id" alone would name the text
// column of the select list: a full scan and sort of the table for every batch).
std::vector<Asset> next_batch(db::Connection& conn, int limit) {
  auto r = conn.exec_prepared(
      std::string(R"sql(
    SELECT "id"::text, "ownerId"::text, "originalPath", "checksum", "checksumAlgorithm"::text
    FROM "asset"
    WHERE )sql") + kCoveredAssets + R"sql(
      AND "id" > coalesce((SELECT last_asset_id FROM keepsake.checksum_verify_pass),
                          '00000000-0000-0000-0000-000000000000')
    ORDER BY "asset"."id" LIMIT $1)sql",
      {std::to_string(limit)});
  std::vector<Asset> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.bytea(i, 3), r.text(i, 4)});
  }
  return out;
}

std::optional<std::string> problem_of(const Asset& a, const FileDigest& d) {
  if (d.missing) return "missing";
  if (a.algorithm == "sha1-path") {
    if (sha1_of("path:" + a.path) != a.checksum) return "path-changed";
    return std::nullopt;
  }
  if (!d.sha1) return "unreadable";
  if (*d.sha1 != a.checksum) return "damaged";
  return std::nullopt;
}

FileDigest check_path_only(const std::string& path) {
  FileDigest d;
  if (::access(path.c_str(), F_OK) != 0) d.missing = errno == ENOENT || errno == ENOTDIR;
  return d;
}

void commit_batch(db::Connection& conn, const std::vector<ChecksumFinding>& found,
                  const std::string& last_id, int64_t checked, int64_t bytes) {
  db::Transaction tx(conn);
  for (const auto& f : found) {
    tx.exec(R"sql(
      INSERT INTO keepsake.checksum_verify_finding (asset_id, owner_id, path, problem)
      VALUES ($1, $2, $3, $4)
      ON CONFLICT (asset_id) DO UPDATE SET owner_id = $2, path = $3, problem = $4,
        found_at = now())sql",
            {f.asset_id, f.owner_id, f.path, f.problem});
  }
  tx.exec(
      "UPDATE keepsake.checksum_verify_pass SET last_asset_id = $1, checked = checked + $2, "
      "bytes = bytes + $3",
      {last_id, std::to_string(checked), std::to_string(bytes)});
  tx.commit();
}

std::vector<ChecksumFinding> load_findings(db::Connection& conn, int64_t offset = 0,
                                           int64_t limit = INT64_MAX) {
  auto r = conn.exec(R"sql(
    SELECT f.asset_id::text, f.owner_id::text, coalesce(u."email", ''), f.path, f.problem
    FROM keepsake.checksum_verify_finding f LEFT JOIN "user" u ON u."id" = f.owner_id
    ORDER BY f.problem, f.path COLLATE "C" OFFSET $1 LIMIT $2)sql",
                     {std::to_string(offset), std::to_string(limit)}, "read the checksum findings");
  std::vector<ChecksumFinding> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
  }
  return out;
}

void load_pass(db::Connection& conn, VerifyResult& result) {
  auto r = conn.exec(
      "SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), checked, "
      "finished_at IS NOT NULL FROM keepsake.checksum_verify_pass");
  result.pass_started_at = r.text(0, 0);
  result.checked_in_pass = r.int64(0, 1);
  result.pass_complete = r.boolean(0, 2);
}

}  // namespace

std::string sha1_of(std::string_view data) {
  EvpSha1 sha;
  sha.update(data.data(), data.size());
  return sha.finish();
}

FileDigest sha1_of_file(const std::string& path, std::vector<char>& buffer) {
  FileDigest d;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    d.missing = errno == ENOENT || errno == ENOTDIR;
    d.error = std::strerror(errno);
    return d;
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  if (buffer.size() < kReadBuffer) buffer.resize(kReadBuffer);
  EvpSha1 sha;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      d.error = std::strerror(errno);
      return d;
    }
    if (n == 0) break;
    sha.update(buffer.data(), static_cast<size_t>(n));
    d.bytes += n;
  }
  d.sha1 = sha.finish();
  return d;
}

std::optional<VerifyPassStatus> read_verify_status(db::Connection& conn) {
  if (conn.exec("SELECT to_regclass('keepsake.checksum_verify_pass') IS NULL").boolean(0, 0)) return std::nullopt;
  auto r = conn.exec(std::string(R"sql(
    SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), checked,
           (SELECT count(*) FROM "asset" WHERE )sql") + kCoveredAssets + R"sql()
      FROM keepsake.checksum_verify_pass)sql", {}, "read the checksum verification pass");
  if (r.empty()) return std::nullopt;
  auto page = read_verify_findings(conn, 0, kStatusFindings);
  return VerifyPassStatus{r.text(0, 0), r.opt_text(0, 1), r.int64(0, 2), r.int64(0, 3), page.total,
                          std::move(page.findings)};
}

FindingPage read_verify_findings(db::Connection& conn, int64_t offset, int64_t limit) {
  if (conn.exec("SELECT to_regclass('keepsake.checksum_verify_finding') IS NULL").boolean(0, 0)) return {};
  return {conn.exec("SELECT count(*) FROM keepsake.checksum_verify_finding").int64(0, 0),
          load_findings(conn, offset, limit)};
}

VerifyResult verify_checksums(db::Connection& conn, const VerifyOptions& options) {
  migrations::apply_keepsake_migrations(conn);
  VerifyLock lock(conn);
  VerifyResult result;
  result.resumed = open_pass(conn, options.restart);
  result.total = conn.exec(std::string("SELECT count(*) FROM \"asset\" WHERE ") + kCoveredAssets)
                     .int64(0, 0);
  load_pass(conn, result);
  auto started = Clock::now();
  Throttle throttle(options.max_mb_per_second);
  std::vector<char> buffer;
  int64_t max_assets = options.max_assets;
  if (options.slices > 0) max_assets = std::max<int64_t>(1, (result.total + options.slices - 1) / options.slices);
  for (;;) {
    int64_t room = max_assets > 0 ? max_assets - result.checked_this_run : options.batch_size;
    // A run that stops exactly at the last original still ends the pass.
    auto batch = next_batch(conn, static_cast<int>(std::clamp<int64_t>(room, 1, options.batch_size)));
    if (batch.empty()) {
      conn.exec("UPDATE keepsake.checksum_verify_pass SET finished_at = now()");
      break;
    }
    if (room <= 0) break;
    std::vector<ChecksumFinding> found;
    int64_t batch_bytes = 0;
    for (const auto& a : batch) {
      auto d = a.algorithm == "sha1-path" ? check_path_only(a.path) : sha1_of_file(a.path, buffer);
      batch_bytes += d.bytes;
      result.bytes_this_run += d.bytes;
      if (auto problem = problem_of(a, d)) found.push_back({a.id, a.owner_id, "", a.path, *problem});
      throttle.after(result.bytes_this_run, started);
    }
    commit_batch(conn, found, batch.back().id, static_cast<int64_t>(batch.size()), batch_bytes);
    result.checked_this_run += static_cast<int64_t>(batch.size());
    result.checked_in_pass += static_cast<int64_t>(batch.size());
    if (options.on_progress) {
      options.on_progress({result.checked_in_pass, result.total, result.bytes_this_run});
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  load_pass(conn, result);
  result.findings = load_findings(conn);
  return result;
}

}  // namespace keepsake::storage
