#include "jobs/deletion_jobs.h"
#include "common/fault_point.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "common/error.h"
#include "jobs/job_names.h"
#include "jobs/queue.h"

namespace keepsake::jobs {
namespace {

constexpr int kAssetChunk = 1000;

// The folders Immich removes for a deleted user (spec §7.3).
std::vector<std::string> user_folders(const std::string& root, const std::string& id,
                                      const std::string& storage_label) {
  return {root + "/library/" + (storage_label.empty() ? id : storage_label),
          root + "/upload/" + id, root + "/profile/" + id, root + "/thumbs/" + id,
          root + "/encoded-video/" + id};
}

// Keeps a stack valid when its primary asset goes: another asset becomes primary, or the stack
// is dissolved when it would hold fewer than two assets.
void detach_from_stack(db::Transaction& tx, const std::string& asset_id) {
  auto r = tx.exec(R"(SELECT s.id,
                             (SELECT a.id FROM asset a WHERE a."stackId" = s.id AND a.id <> $1
                               ORDER BY a."createdAt", a.id LIMIT 1) AS next,
                             (SELECT count(*) FROM asset a WHERE a."stackId" = s.id) AS size
                        FROM stack s WHERE s."primaryAssetId" = $1)",
                   {asset_id}, "read the asset's stack");
  if (r.empty()) return;
  if (r.int64(0, "size") > 2) {
    tx.exec(R"(UPDATE stack SET "primaryAssetId" = $2 WHERE id = $1)",
            {r.text(0, "id"), r.text(0, "next")}, "choose a new primary asset");
  } else {
    tx.exec("DELETE FROM stack WHERE id = $1", {r.text(0, "id")}, "dissolve the stack");
  }
}

}  // namespace

int64_t user_delete_check(db::Connection& conn, int delete_delay_days) {
  auto r = conn.exec(R"(SELECT id FROM "user"
                         WHERE "deletedAt" < now() - $1::int * interval '1 day')",
                     {std::to_string(delete_delay_days)}, "find users to delete");
  std::vector<nlohmann::json> jobs;
  for (int i = 0; i < r.rows(); ++i) jobs.push_back({{"id", r.text(i, 0)}});
  return JobQueue(conn).enqueue_many(job_name::kUserDelete, jobs);
}

bool user_delete(db::Connection& conn, MediaFiles& files, const std::string& user_id,
                 int delete_delay_days, bool force) {
  auto r = conn.exec(R"(SELECT coalesce("storageLabel", '') AS label,
                               "deletedAt" IS NOT NULL
                                 AND "deletedAt" < now() - $2::int * interval '1 day' AS ready
                          FROM "user" WHERE id = $1::uuid)",
                     {user_id, std::to_string(delete_delay_days)}, "read the user to delete");
  if (r.empty()) throw Error(ErrorKind::kNotFound, "user " + user_id + " does not exist");
  if (!force && !r.boolean(0, "ready")) {
    spdlog::info("Skipping deletion of user {}: not deleted or not past the delay", user_id);
    return false;
  }
  spdlog::info("Deleting user {}", user_id);
  for (const auto& folder : user_folders(files.root(), user_id, r.text(0, "label"))) {
    files.remove_tree(folder);
  }
  db::Transaction tx(conn);
  tx.exec(R"(DELETE FROM album WHERE "ownerId" = $1)", {user_id}, "delete the user's albums");
  tx.exec(R"(DELETE FROM "user" WHERE id = $1)", {user_id}, "delete the user");
  tx.commit();
  return true;
}

int64_t asset_delete_check(db::Connection& conn, int trash_days) {
  int64_t total = 0;
  std::string after = "00000000-0000-0000-0000-000000000000";
  while (true) {
    auto r = conn.exec(R"(SELECT id, "isOffline" FROM asset
                           WHERE "deletedAt" <= now() - $1::int * interval '1 day' AND id > $2
                           ORDER BY id LIMIT $3::int)",
                       {std::to_string(trash_days), after, std::to_string(kAssetChunk)},
                       "find assets to delete");
    std::vector<nlohmann::json> jobs;
    for (int i = 0; i < r.rows(); ++i) {
      jobs.push_back({{"id", r.text(i, 0)}, {"deleteOnDisk", !r.boolean(i, 1)}});
    }
    total += JobQueue(conn).enqueue_many(job_name::kAssetDelete, jobs);
    if (r.rows() < kAssetChunk) break;
    after = r.text(r.rows() - 1, 0);
  }
  return total;
}

bool asset_delete(db::Connection& conn, MediaFiles& files, const std::string& asset_id,
                  bool delete_on_disk, bool force) {
  db::Transaction tx(conn);
  auto a = tx.exec(R"(SELECT a."ownerId", a."libraryId" IS NULL AS uploaded, a."originalPath",
                             a."livePhotoVideoId", a."deletedAt" IS NOT NULL AS trashed,
                             coalesce(e."fileSizeInByte", 0) AS size
                        FROM asset a LEFT JOIN asset_exif e ON e."assetId" = a.id
                       WHERE a.id = $1::uuid FOR UPDATE OF a)",
                   {asset_id}, "read the asset to delete");
  if (a.empty()) {
    spdlog::info("Skipping deletion of asset {}: it no longer exists (deleted by an earlier run)",
                 asset_id);
    return false;
  }
  if (!force && !a.boolean(0, "trashed")) {
    spdlog::info("Skipping deletion of asset {}: it is no longer in the trash", asset_id);
    return false;
  }
  auto f = tx.exec(R"(SELECT path, type FROM asset_file WHERE "assetId" = $1)", {asset_id},
                   "read the asset's files");
  detach_from_stack(tx, asset_id);
  tx.exec("DELETE FROM asset WHERE id = $1", {asset_id}, "delete the asset");
  if (a.boolean(0, "uploaded")) {
    tx.exec(R"(UPDATE "user" SET "quotaUsageInBytes" = "quotaUsageInBytes" - $2::bigint
                WHERE id = $1)",
            {a.text(0, "ownerId"), a.text(0, "size")}, "update the owner's usage");
  }
  auto live = a.opt_text(0, "livePhotoVideoId");
  if (live && tx.exec(R"(SELECT count(*) FROM asset WHERE "livePhotoVideoId" = $1)", {*live})
                      .int64(0, 0) == 0) {
    JobQueue(conn).enqueue({job_name::kAssetDelete,
                            {{"id", *live}, {"deleteOnDisk", delete_on_disk}, {"force", true}}});
  }
  std::vector<std::string> paths;
  for (int i = 0; i < f.rows(); ++i) {
    if (f.text(i, "type") != "sidecar" || delete_on_disk) paths.push_back(f.text(i, "path"));
  }
  if (delete_on_disk) paths.push_back(a.text(0, "originalPath"));
  // The files' removal is queued in the rows' transaction: a crash after the commit leaves a
  // FileDelete job that removes them, never files that no row knows of.
  int64_t file_job = JobQueue(conn).enqueue({job_name::kFileDelete, {{"files", paths}}});
  fault::point("jobs.asset-delete.rows");
  tx.commit();
  fault::point("jobs.asset-delete.files");
  file_delete(files, paths);
  JobQueue(conn).cancel_waiting(file_job);
  return true;
}

void file_delete(MediaFiles& files, const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    if (!path.empty()) files.remove_file(path);
  }
}

}  // namespace keepsake::jobs
