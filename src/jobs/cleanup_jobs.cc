#include "jobs/cleanup_jobs.h"

#include <spdlog/spdlog.h>

#include <array>

namespace keepsake::jobs {
namespace {

constexpr std::array<const char*, 14> kAuditTables = {
    "album_audit",          "album_user_audit",  "album_asset_audit", "asset_audit",
    "asset_face_audit",     "asset_metadata_audit", "asset_edit_audit", "memory_audit",
    "memory_asset_audit",   "partner_audit",     "person_audit",      "stack_audit",
    "user_audit",           "user_metadata_audit"};

constexpr int kPersonChunk = 1000;

}  // namespace

int64_t audit_log_cleanup(db::Connection& conn) {
  return conn
      .exec(R"(DELETE FROM audit WHERE "createdAt" < now() - interval '100 days')", {},
            "delete old audit rows")
      .affected();
}

int64_t audit_table_cleanup(db::Connection& conn) {
  int64_t total = 0;
  for (const char* table : kAuditTables) {
    total += conn.exec("DELETE FROM " + db::quote_ident(table) +
                           R"( WHERE "deletedAt" < now() - interval '31 days')",
                       {}, std::string("clean up ") + table)
                 .affected();
  }
  return total;
}

int64_t session_cleanup(db::Connection& conn) {
  auto r = conn.exec(R"(DELETE FROM session
                         WHERE "updatedAt" <= now() - interval '90 days'
                            OR ("expiresAt" IS NOT NULL AND "expiresAt" <= now())
                        RETURNING id, "deviceOS", "deviceType")",
                     {}, "delete expired sessions");
  for (int i = 0; i < r.rows(); ++i) {
    spdlog::debug("Deleted expired session token: {} ({} {})", r.text(i, 0), r.text(i, 1),
                  r.text(i, 2));
  }
  spdlog::info("Deleted {} expired session tokens", r.rows());
  return r.rows();
}

int64_t tag_cleanup(db::Connection& conn) {
  int64_t n = conn.exec(R"(DELETE FROM tag WHERE NOT EXISTS (
                             SELECT FROM tag_closure
                               JOIN tag_asset ON tag_closure.id_descendant = tag_asset."tagId"
                              WHERE tag.id = tag_closure.id_ancestor))",
                        {}, "delete empty tags")
                  .affected();
  if (n > 0) spdlog::info("Deleted {} empty tags", n);
  return n;
}

int64_t person_cleanup(db::Connection& conn, MediaFiles& files) {
  int64_t total = 0;
  while (true) {
    auto r = conn.exec(R"(DELETE FROM person WHERE id IN (
                            SELECT p.id FROM person p
                             WHERE NOT EXISTS (
                                     SELECT FROM asset_face f
                                      WHERE f."personId" = p.id AND f."deletedAt" IS NULL
                                        AND f."isVisible" IS TRUE)
                             LIMIT $1::int)
                          RETURNING "thumbnailPath")",
                       {std::to_string(kPersonChunk)}, "delete people without faces");
    for (int i = 0; i < r.rows(); ++i) {
      if (!r.text(i, 0).empty()) files.remove_file(r.text(i, 0));
    }
    total += r.rows();
    if (r.rows() < kPersonChunk) break;
  }
  if (total > 0) spdlog::info("Deleted {} people", total);
  return total;
}

int64_t memory_cleanup(db::Connection& conn) {
  conn.exec(R"(DELETE FROM memory_asset USING asset
                WHERE memory_asset."assetId" = asset.id AND asset.visibility <> 'timeline')",
            {}, "remove hidden assets from memories");
  return conn
      .exec(R"(DELETE FROM memory
                WHERE "createdAt" < now() - interval '30 days' AND "isSaved" = false)",
            {}, "delete old memories")
      .affected();
}

int64_t notifications_cleanup(db::Connection& conn) {
  return conn
      .exec(R"(DELETE FROM notification
                WHERE ("deletedAt" IS NOT NULL AND "deletedAt" < now() - interval '3 days')
                   OR ("readAt" > now() - interval '2 days'
                       AND "createdAt" < now() - interval '15 days')
                   OR ("readAt" IS NULL AND "createdAt" < now() - interval '30 days'))",
            {}, "delete old notifications")
      .affected();
}

int64_t user_sync_usage(db::Connection& conn) {
  return conn
      .exec(R"(UPDATE "user" u
                  SET "quotaUsageInBytes" = (
                        SELECT coalesce(sum(e."fileSizeInByte"), 0)
                          FROM asset a JOIN asset_exif e ON e."assetId" = a.id
                         WHERE a."ownerId" = u.id AND a."libraryId" IS NULL),
                      "updatedAt" = now()
                WHERE u."deletedAt" IS NULL)",
            {}, "sync users' quota usage")
      .affected();
}

}  // namespace keepsake::jobs
