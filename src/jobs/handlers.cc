#include "jobs/handlers.h"

#include <spdlog/spdlog.h>

#include "backup/backup_service.h"
#include "common/error.h"
#include "config/system_config.h"
#include "jobs/cleanup_jobs.h"
#include "jobs/deletion_jobs.h"
#include "jobs/job_names.h"
#include "jobs/memory_generate.h"

namespace keepsake::jobs {
namespace {

std::string required_id(const nlohmann::json& data, const std::string& job) {
  if (!data.contains("id") || !data["id"].is_string()) {
    throw Error(ErrorKind::kInvalidArgument, job + " needs a string \"id\" in its data");
  }
  return data["id"].get<std::string>();
}

bool flag(const nlohmann::json& data, const char* key, bool fallback) {
  return data.contains(key) && data[key].is_boolean() ? data[key].get<bool>() : fallback;
}

using Simple = int64_t (*)(db::Connection&);

void add_simple(HandlerRegistry& registry, const char* name, Simple fn) {
  registry.add(name, [fn](JobContext& ctx) { fn(ctx.conn); });
}

}  // namespace

HandlerRegistry default_handlers(const Config& config, const DatabaseConfig& db) {
  HandlerRegistry r;
  const std::string media = config.media_location;
  add_simple(r, job_name::kAuditLogCleanup, audit_log_cleanup);
  add_simple(r, job_name::kAuditTableCleanup, audit_table_cleanup);
  add_simple(r, job_name::kSessionCleanup, session_cleanup);
  add_simple(r, job_name::kTagCleanup, tag_cleanup);
  add_simple(r, job_name::kMemoryCleanup, memory_cleanup);
  add_simple(r, job_name::kMemoryGenerate, memory_generate);
  add_simple(r, job_name::kNotificationsCleanup, notifications_cleanup);
  add_simple(r, job_name::kUserSyncUsage, user_sync_usage);
  r.add(job_name::kPersonCleanup, [media](JobContext& ctx) {
    MediaFiles files(media);
    person_cleanup(ctx.conn, files);
  });
  r.add(job_name::kUserDeleteCheck, [](JobContext& ctx) {
    auto settings = config::load_system_config(ctx.conn);
    user_delete_check(ctx.conn, config::user_delete_delay_days(settings));
  });
  r.add(job_name::kUserDelete, [media](JobContext& ctx) {
    MediaFiles files(media);
    auto settings = config::load_system_config(ctx.conn);
    user_delete(ctx.conn, files, required_id(ctx.job.data, job_name::kUserDelete),
                config::user_delete_delay_days(settings), flag(ctx.job.data, "force", false));
  });
  r.add(job_name::kAssetDeleteCheck, [](JobContext& ctx) {
    auto trash = config::trash_settings(config::load_system_config(ctx.conn));
    asset_delete_check(ctx.conn, trash.enabled ? trash.days : 0);
  });
  r.add(job_name::kAssetDelete, [media](JobContext& ctx) {
    MediaFiles files(media);
    asset_delete(ctx.conn, files, required_id(ctx.job.data, job_name::kAssetDelete),
                 flag(ctx.job.data, "deleteOnDisk", true), flag(ctx.job.data, "force", false));
  });
  r.add(job_name::kFileDelete, [media](JobContext& ctx) {
    MediaFiles files(media);
    auto list = ctx.job.data.value("files", nlohmann::json::array());
    std::vector<std::string> paths;
    for (const auto& p : list) {
      if (p.is_string()) paths.push_back(p.get<std::string>());
    }
    file_delete(files, paths);
  });
  r.add(job_name::kDatabaseBackup, [db, media](JobContext& ctx) {
    backup::JobOptions options;
    options.backup.db = db;
    options.backup.media_location = media;
    ctx.failure_reported = true;  // run_database_backup_job notifies the admin itself
    backup::run_database_backup_job(options);
  });
  return r;
}

FailureHook default_failure_hook(const DatabaseConfig& db) {
  return [db](const ClaimedJob& job, const std::string& error, db::Connection&) {
    if (job.name != job_name::kDatabaseBackup) return;
    backup::notify_backup_failure(db, error);
  };
}

std::string resolve_job_name(const HandlerRegistry& handlers, const std::string& name) {
  if (auto job = job_for_manual_name(name)) return *job;
  if (handlers.find(name)) return name;
  std::string accepted;
  for (const auto& manual : manual_job_names()) accepted += manual + ", ";
  for (const auto& job : handlers.names()) accepted += job + ", ";
  accepted.resize(accepted.size() - 2);
  throw Error(ErrorKind::kInvalidArgument, "unknown job \"" + name + "\"",
              "use one of: " + accepted);
}

void run_job_now(const HandlerRegistry& handlers, db::Connection& conn, const std::string& name,
                 const nlohmann::json& data) {
  const std::string job_name = resolve_job_name(handlers, name);
  const JobHandler* handler = handlers.find(job_name);
  if (!handler) {
    throw Error(ErrorKind::kInvalidArgument, "job " + job_name + " has no handler here");
  }
  ClaimedJob job;
  job.queue = queue_for_job(job_name);
  job.name = job_name;
  job.data = data;
  job.attempt = 1;
  JobContext ctx{job, conn};
  try {
    (*handler)(ctx);
  } catch (const std::exception& e) {
    spdlog::error("Unable to run job handler ({}): {}", job_name, e.what());
    throw;
  }
}

}  // namespace keepsake::jobs
