// Immich's queue names, job names and manual job names (spec §7.2), and which queue each job runs
// on. Pure data: no database access, no behaviour.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keepsake::jobs {

namespace queue_name {
inline constexpr const char* kBackgroundTask = "backgroundTask";
inline constexpr const char* kBackupDatabase = "backupDatabase";
}  // namespace queue_name

namespace job_name {
inline constexpr const char* kAuditLogCleanup = "AuditLogCleanup";
inline constexpr const char* kAuditTableCleanup = "AuditTableCleanup";
inline constexpr const char* kSessionCleanup = "SessionCleanup";
inline constexpr const char* kTagCleanup = "TagCleanup";
inline constexpr const char* kPersonCleanup = "PersonCleanup";
inline constexpr const char* kMemoryCleanup = "MemoryCleanup";
inline constexpr const char* kMemoryGenerate = "MemoryGenerate";
inline constexpr const char* kNotificationsCleanup = "NotificationsCleanup";
inline constexpr const char* kUserDeleteCheck = "UserDeleteCheck";
inline constexpr const char* kUserDelete = "UserDelete";
inline constexpr const char* kAssetDeleteCheck = "AssetDeleteCheck";
inline constexpr const char* kAssetDelete = "AssetDelete";
inline constexpr const char* kUserSyncUsage = "UserSyncUsage";
inline constexpr const char* kFileDelete = "FileDelete";
inline constexpr const char* kDatabaseBackup = "DatabaseBackup";
}  // namespace job_name

// All 18 of Immich's QueueName values, in Immich's order.
const std::vector<std::string>& all_queue_names();
bool is_queue_name(std::string_view name);

// The queue a job runs on: backupDatabase for DatabaseBackup, backgroundTask for the others.
std::string queue_for_job(std::string_view job_name);

// Immich's ManualJobName ("person-cleanup", ...) → job name; nullopt when unknown.
std::optional<std::string> job_for_manual_name(std::string_view manual_name);
const std::vector<std::string>& manual_job_names();

// The jobs the nightly schedule queues, given nightlyTasks' switches.
std::vector<std::string> nightly_jobs(bool database_cleanup, bool generate_memories,
                                      bool sync_quota_usage);

}  // namespace keepsake::jobs
