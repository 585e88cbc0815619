#include "jobs/job_names.h"

#include <algorithm>
#include <utility>

namespace keepsake::jobs {

const std::vector<std::string>& all_queue_names() {
  static const std::vector<std::string> names = {
      "thumbnailGeneration", "metadataExtraction", "videoConversion", "faceDetection",
      "facialRecognition",   "smartSearch",        "duplicateDetection", "backgroundTask",
      "storageTemplateMigration", "migration",     "search",             "sidecar",
      "library",             "notifications",      "backupDatabase",     "ocr",
      "workflow",            "editor"};
  return names;
}

bool is_queue_name(std::string_view name) {
  const auto& all = all_queue_names();
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::string queue_for_job(std::string_view job_name) {
  return job_name == job_name::kDatabaseBackup ? queue_name::kBackupDatabase
                                               : queue_name::kBackgroundTask;
}

namespace {

const std::vector<std::pair<std::string, std::string>>& manual_jobs() {
  static const std::vector<std::pair<std::string, std::string>> jobs = {
      {"person-cleanup", job_name::kPersonCleanup},  {"tag-cleanup", job_name::kTagCleanup},
      {"user-cleanup", job_name::kUserDeleteCheck},  {"memory-cleanup", job_name::kMemoryCleanup},
      {"memory-create", job_name::kMemoryGenerate},  {"backup-database", job_name::kDatabaseBackup}};
  return jobs;
}

}  // namespace

std::optional<std::string> job_for_manual_name(std::string_view manual_name) {
  for (const auto& [manual, job] : manual_jobs()) {
    if (manual == manual_name) return job;
  }
  return std::nullopt;
}

const std::vector<std::string>& manual_job_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : manual_jobs()) out.push_back(entry.first);
    return out;
  }();
  return names;
}

std::vector<std::string> nightly_jobs(bool database_cleanup, bool generate_memories,
                                      bool sync_quota_usage) {
  std::vector<std::string> jobs;
  if (database_cleanup) {
    jobs = {job_name::kAssetDeleteCheck,  job_name::kUserDeleteCheck,
            job_name::kPersonCleanup,     job_name::kMemoryCleanup,
            job_name::kSessionCleanup,    job_name::kAuditTableCleanup,
            job_name::kAuditLogCleanup,   job_name::kNotificationsCleanup};
  }
  if (generate_memories) jobs.push_back(job_name::kMemoryGenerate);
  if (sync_quota_usage) jobs.push_back(job_name::kUserSyncUsage);
  return jobs;
}

}  // namespace keepsake::jobs
