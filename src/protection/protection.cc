#include "protection/protection.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "backup/backup_files.h"
#include "backup/backup_verifications.h"
#include "common/error.h"
#include "files/files_service.h"
#include "pitr/pitr.h"
#include "storage/checksum_verify.h"
#include "storage/scan_record.h"

namespace keepsake::protection {
namespace {

using Clock = std::chrono::system_clock;
constexpr int64_t kMicrosPerHour = 3600LL * 1000000;

int64_t micros(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
int64_t micros(const std::string& iso) { return iso.empty() ? 0 : pitr::parse_iso8601(iso); }
std::string iso(int64_t us) { return pitr::format_iso8601(us); }

std::optional<int64_t> modified_us(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
}

// The newest of the verification at creation (the sidecar) and the one on request.
void set_verification(BackupState& b, const std::string& path,
                      const std::map<std::string, backup::VerificationRecord>& requested) {
  b.verification = "unverified";
  if (backup::read_sha256_sidecar(path)) {
    if (auto at = modified_us(path + ".sha256")) {
      b.verification = "verified";
      b.verified_at = iso(*at);
    }
  }
  auto r = requested.find(b.filename);
  if (r == requested.end() || micros(r->second.verified_at) < micros(b.verified_at)) return;
  b.verification = r->second.ok ? "verified" : "failed";
  b.verified_at = iso(micros(r->second.verified_at));
  b.verification_message = r->second.message;
}

std::vector<BackupState> read_backups(db::Connection& conn, const std::string& folder) {
  auto requested = backup::latest_verifications(conn);
  std::vector<BackupState> out;
  for (const auto& f : backup::list_backups(folder)) {
    std::string path = folder + "/" + f.filename;
    BackupState b{f.filename, f.filesize, iso(modified_us(path).value_or(0)), {}, {}, {}};
    set_verification(b, path, requested);
    out.push_back(std::move(b));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const BackupState& a, const BackupState& b) { return micros(a.made_at) > micros(b.made_at); });
  return out;
}

// The admin's notifications of failed backups (backup_service's notify_backup_failure), newest first.
std::vector<Failure> read_failures(db::Connection& conn, int days) {
  auto r = conn.exec(R"sql(
    SELECT (extract(epoch FROM "createdAt") * 1000000)::bigint, "description" FROM "notification"
     WHERE "type" = 'JobFailed' AND "description" LIKE 'Job DatabaseBackup failed%'
       AND "createdAt" > now() - $1::int * interval '1 day'
     ORDER BY "createdAt" DESC)sql",
                     {std::to_string(days)}, "read the failed backups");
  std::vector<Failure> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({iso(r.int64(i, 0)), r.text(i, 1)});
  return out;
}

ChecksumState read_checksum(db::Connection& conn) {
  ChecksumState c;
  auto status = storage::read_verify_status(conn);
  if (!status) {
    c.reason = "no checksum verification has run yet (keepsake storage verify)";
    return c;
  }
  c.available = true;
  c.started_at = iso(micros(status->started_at));
  if (status->finished_at) c.finished_at = iso(micros(*status->finished_at));
  c.checked = status->checked;
  c.total = status->total;
  c.problem_count = status->finding_count;
  for (const auto& f : status->findings) c.problems.emplace_back(f.problem, f.path);
  return c;
}

ScanState read_scan(db::Connection& conn) {
  ScanState s;
  auto last = storage::read_last_scan(conn);
  if (!last) {
    s.reason = "no database-vs-disk scan has run yet (keepsake storage scan)";
    return s;
  }
  s.available = true;
  s.started_at = iso(micros(last->started_at));
  s.finished_at = iso(micros(last->finished_at));
  const auto& c = last->summary;
  s.rows = c.rows;
  s.files = c.files;
  s.missing_irreplaceable = c.irreplaceable.count;
  s.missing_regenerable = c.regenerable.count;
  s.orphans = c.orphans;
  s.foreign = c.foreign;
  return s;
}

PitrState read_pitr(const Config& config) {
  PitrState p;
  std::string archive = pitr::archive_dir_for(config);
  if (!pitr::is_enabled(archive)) {
    p.reason = "point-in-time recovery is not enabled (keepsake pitr enable)";
    return p;
  }
  auto s = pitr::read_status(config.db, archive);
  p.available = true;
  if (s.earliest_us) p.earliest = iso(*s.earliest_us);
  if (s.latest_us) p.latest = iso(*s.latest_us);
  if (s.last_base_backup) p.last_base_backup = iso(s.last_base_backup->end_us);
  p.problems = s.problems;
  return p;
}

std::vector<files::Snapshot> read_snapshots(const Sources& sources, SnapshotState& state) {
  files::FilesSettings settings{sources.config.media_location, sources.config.data_dir, "", sources.env};
  if (!files::repository_configured(settings)) {
    state.reason = "no file backup repository is set up (keepsake files init)";
    return {};
  }
  try {
    auto snapshots = files::list_snapshots(settings);
    state.available = true;
    state.snapshots = static_cast<int>(snapshots.size());
    if (!snapshots.empty()) state.last_snapshot = iso(micros(snapshots.front().time));
    return snapshots;
  } catch (const Error& e) {
    state.reason = std::string("the file snapshots cannot be read: ") + e.what();
    return {};
  }
}

void add_event(Report& r, int64_t since, int64_t at, std::string kind, bool ok, std::string label) {
  if (at >= since) r.timeline.push_back({iso(at), std::move(kind), ok, std::move(label)});
}

void build_timeline(Report& r, db::Connection& conn, const std::string& folder, const std::vector<Failure>& failures,
                    const std::vector<files::Snapshot>& snapshots, int64_t since) {
  for (const auto& b : r.backups) {
    add_event(r, since, micros(b.made_at), "backup", true, b.filename);
    if (auto sidecar = modified_us(folder + "/" + b.filename + ".sha256")) {  // verified as written
      add_event(r, since, *sidecar, "verification", true, b.filename);
    }
  }
  for (const auto& v : backup::verifications_since(conn, kTimelineDays)) {
    add_event(r, since, micros(v.verified_at), "verification", v.ok, v.ok ? v.filename : v.message);
  }
  for (const auto& f : failures) add_event(r, since, micros(f.at), "failure", false, f.message);
  if (!r.checksum.finished_at.empty()) {
    add_event(r, since, micros(r.checksum.finished_at), "checksum", r.checksum.problem_count == 0,
              std::to_string(r.checksum.checked) + " originals checked");
  }
  if (r.scan.available) {
    add_event(r, since, micros(r.scan.finished_at), "scan", r.scan.missing_irreplaceable == 0,
              std::to_string(r.scan.rows) + " paths compared with the disk");
  }
  if (!r.pitr.last_base_backup.empty()) {
    add_event(r, since, micros(r.pitr.last_base_backup), "base-backup", true, "base backup");
  }
  for (const auto& s : snapshots) add_event(r, since, micros(s.time), "snapshot", true, s.short_id);
  std::sort(r.timeline.begin(), r.timeline.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kProtected: return "protected";
    case Verdict::kAtRisk: return "at-risk";
    case Verdict::kFailing: return "failing";
  }
  return "at-risk";
}

Report read_protection(db::Connection& conn, const Sources& sources) {
  Report r;
  r.schedule = config::database_backup_settings(config::load_system_config(conn));
  std::string folder = backup::backups_folder(sources.config.media_location);
  r.backups = read_backups(conn, folder);
  auto failures = read_failures(conn, kTimelineDays);
  if (!failures.empty()) r.last_failure = failures.front();
  r.checksum = read_checksum(conn);
  r.scan = read_scan(conn);
  r.pitr = read_pitr(sources.config);
  auto snapshots = read_snapshots(sources, r.snapshots);
  auto counts = conn.exec(R"(SELECT (SELECT count(*) FROM "user" WHERE "deletedAt" IS NULL),
                                    (SELECT count(*) FROM "asset" WHERE "deletedAt" IS NULL))");
  r.users = counts.int64(0, 0);
  r.assets = counts.int64(0, 1);
  build_timeline(r, conn, folder, failures, snapshots, micros(sources.now) - kTimelineDays * 24 * kMicrosPerHour);
  judge(r, sources.now);
  return r;
}

void judge(Report& r, Clock::time_point now) {
  std::vector<std::string> failing, at_risk;
  const BackupState* last = r.backups.empty() ? nullptr : &r.backups.front();
  if (r.last_failure && (!last || micros(r.last_failure->at) > micros(last->made_at))) {
    failing.push_back("The last database backup failed: " + r.last_failure->message);
  }
  if (last && last->verification == "failed") {
    failing.push_back("The latest backup " + last->filename + " is damaged: " + last->verification_message);
  }
  if (r.checksum.problem_count > 0) {
    failing.push_back(std::to_string(r.checksum.problem_count) + " original file(s) are missing or damaged");
  }
  if (r.scan.missing_irreplaceable > 0) {
    failing.push_back("The last storage scan found " + std::to_string(r.scan.missing_irreplaceable) +
                      " irreplaceable file(s) missing (originals, sidecars or profile images)");
  }
  if (!last) {
    at_risk.push_back("There is no database backup yet");
  } else {
    int64_t age_hours = (micros(now) - micros(last->made_at)) / kMicrosPerHour;
    if (age_hours > kBackupMaxAgeHours) {
      at_risk.push_back("The latest database backup is " + std::to_string(age_hours / 24) + " days old");
    }
    if (last->verification == "unverified") {
      at_risk.push_back("The latest backup " + last->filename + " has not been verified");
    }
  }
  if (!r.schedule.enabled) at_risk.push_back("Scheduled database backups are turned off");
  for (const auto& p : r.pitr.problems) at_risk.push_back("Point-in-time recovery: " + p);
  r.verdict = !failing.empty() ? Verdict::kFailing : !at_risk.empty() ? Verdict::kAtRisk : Verdict::kProtected;
  r.reasons = failing;
  r.reasons.insert(r.reasons.end(), at_risk.begin(), at_risk.end());
}

}  // namespace keepsake::protection
