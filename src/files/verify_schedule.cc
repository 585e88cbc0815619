#include "files/verify_schedule.h"

#include "backup/backup_service.h"
#include "common/error.h"
#include "common/log.h"
#include "config/keepsake_settings.h"
#include "db/locks.h"

namespace keepsake::files {
namespace {

constexpr const char* kJobName = "StorageVerify";

std::string describe_findings(const storage::VerifyResult& r, int64_t before) {
  const auto& first = r.findings.front();
  return std::to_string(r.findings.size() - before) + " more original(s) damaged or missing (" +
         std::to_string(r.findings.size()) + " in this pass), e.g. " + first.problem + " " + first.path +
         " (asset " + first.asset_id + "); `keepsake storage verify` lists them, `keepsake files restore --repair` "
         "brings them back from a snapshot";
}

}  // namespace

VerifyScheduler::VerifyScheduler(DatabaseConfig db, std::chrono::milliseconds config_poll)
    : db_(std::move(db)),
      loop_({.name = "verification scheduler",
             .poll = config_poll,
             .schedule = [this]() -> std::optional<std::string> {
               auto conn = db::Connection::open(db_);
               auto s = config::storage_verify_settings(config::load_keepsake_settings(*conn));
               if (!s.enabled) return std::nullopt;
               return s.cron_expression;
             },
             .on_tick = [this](std::chrono::system_clock::time_point tick) { run_tick(tick); }}) {}

std::optional<storage::VerifyResult> VerifyScheduler::run_tick(std::chrono::system_clock::time_point tick) {
  try {
    auto held = db::try_lock(db_, db::DatabaseLock::StorageVerifySlice);
    if (!held) return std::nullopt;
    auto& conn = held->connection();
    auto s = config::storage_verify_settings(config::load_keepsake_settings(conn));
    if (!s.enabled || !backup::claim_schedule_tick(conn, kJobName, tick)) return std::nullopt;
    auto before = storage::read_verify_status(conn);
    int64_t known = before && !before->finished_at ? before->finding_count : 0;
    storage::VerifyOptions options;
    options.slices = s.pass_days;
    options.max_mb_per_second = s.max_mb_per_second;
    auto r = storage::verify_checksums(conn, options);
    spdlog::info("Checksum verification slice: {} original(s) read ({} MB, {:.1f} s); the pass is at {}/{}{}",
                 r.checked_this_run, r.bytes_this_run / 1000000, r.seconds, r.checked_in_pass, r.total,
                 r.pass_complete ? ", complete" : "");
    if (static_cast<int64_t>(r.findings.size()) > known) {
      std::string message = describe_findings(r, known);
      spdlog::error("Checksum verification: {}", message);
      backup::notify_job_failure(db_, kJobName, message);
    }
    return r;
  } catch (const std::exception& e) {
    auto* error = dynamic_cast<const Error*>(&e);
    if (error && error->kind() == ErrorKind::kConflict) {  // a `storage verify` run by hand holds the pass
      spdlog::info("Checksum verification slice skipped: {}", e.what());
      return std::nullopt;
    }
    spdlog::error("Checksum verification slice failed: {}", full_message_of(e));
    backup::notify_job_failure(db_, kJobName, full_message_of(e));
    return std::nullopt;
  }
}

}  // namespace keepsake::files
