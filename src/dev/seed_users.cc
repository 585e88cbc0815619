// Users (one admin), partner sharing, sessions, notifications and audit rows. Audit rows carry
// deletedAt spread over 60 days so the cleanup jobs (31-day and 100-day retention) have work.
#include <crypt.h>

#include "common/error.h"
#include "dev/copy_text.h"
#include "dev/prng.h"
#include "dev/seed_writers.h"

namespace keepsake::dev {
namespace {

// A bcrypt hash (cost 10, like Immich) of a random password nobody knows: realistic rows, and no
// seeded account can be logged into until an admin resets its password.
std::string unusable_password_hash(uint64_t seed) {
  Prng rng = Prng::stream(seed, "password");
  std::string secret = rng.uuid() + rng.uuid();
  unsigned char salt_bytes[16];
  rng.fill(salt_bytes, sizeof salt_bytes);
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", 10, reinterpret_cast<const char*>(salt_bytes), sizeof salt_bytes,
                        salt, sizeof salt)) {
    throw Error(ErrorKind::kInternal, "cannot make a bcrypt salt (libxcrypt)");
  }
  crypt_data data{};
  const char* hash = crypt_rn(secret.c_str(), salt, &data, sizeof data);
  if (!hash || hash[0] == '*') throw Error(ErrorKind::kInternal, "bcrypt failed (libxcrypt)");
  return hash;
}

struct Device {
  const char* type;
  const char* os;
  const char* app_version;
};

constexpr Device kDevices[] = {{"iOS", "iOS", "2.7.5"},      {"Android", "Android", "2.7.5"},
                               {"Chrome", "Linux", nullptr}, {"Firefox", "Windows", nullptr},
                               {"Safari", "macOS", nullptr}, {"Android", "Android", "2.6.3"}};

struct NotificationKind {
  const char* type;
  const char* level;
  const char* title;
};

constexpr NotificationKind kNotifications[] = {
    {"JobFailed", "error", "Job failed"},
    {"BackupFailed", "error", "Database backup failed"},
    {"SystemMessage", "info", "Server update available"},
    {"AlbumInvite", "info", "You have been invited to a shared album"},
    {"AlbumUpdate", "info", "New media has been added to an album"},
    {"Custom", "warning", "Storage almost full"}};

void finish(SeedContext& ctx, const std::string& table, CopyStream& out) {
  int64_t bytes = out.bytes();
  ctx.loaded(table, out.finish(), bytes);
}

// Rows of an audit table with (id default) + two uuid columns + deletedAt.
template <typename Fn>
void audit_table(SeedContext& ctx, const std::string& table, std::vector<std::string> columns,
                 int64_t count, Fn&& row) {
  columns.push_back("deletedAt");
  CopyStream out(ctx.conn, table, columns);
  for (int64_t k = 0; k < count; ++k) {
    Prng rng = Prng::stream(ctx.model.options().seed, table, k);
    auto line = out.row();
    row(line, rng, k);
    line.timestamp(ctx.days_ago(rng.uniform() * 60)).end();
  }
  finish(ctx, table, out);
}

}  // namespace

void SeedContext::loaded(const std::string& table, int64_t rows, int64_t bytes) {
  report.rows.emplace_back(table, rows);
  report.total_rows += rows;
  report.bytes_sent += bytes;
}

void load_users(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  std::string password = unusable_password_hash(m.options().seed);
  {
    CopyStream out(ctx.conn, "user",
                   {"id", "email", "password", "createdAt", "isAdmin", "shouldChangePassword",
                    "updatedAt", "storageLabel", "name", "quotaUsageInBytes", "status",
                    "profileChangedAt", "avatarColor"});
    for (const auto& u : m.users()) {
      auto line = out.row();
      line.uuid(u.id).text(u.email).text(password).timestamp(u.created_at);
      line.boolean(u.is_admin).boolean(false).timestamp(u.created_at);
      if (u.is_admin) line.text("admin");
      else line.null();
      line.text(u.name).integer(u.bytes).text("active").timestamp(u.created_at);
      line.text(u.avatar_color).end();
    }
    finish(ctx, "user", out);
  }
  CopyStream out(ctx.conn, "partner",
                 {"sharedById", "sharedWithId", "createdAt", "updatedAt", "inTimeline"});
  for (size_t u = 1; u < m.users().size() && u < 3; ++u) {
    Timestamp t = ctx.days_ago(200);
    out.row().uuid(m.users()[u].id).uuid(m.users()[0].id).timestamp(t).timestamp(t).boolean(u == 1).end();
  }
  finish(ctx, "partner", out);
}

void load_sessions(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  {
    CopyStream out(ctx.conn, "session",
                   {"id", "token", "createdAt", "updatedAt", "userId", "deviceType", "deviceOS",
                    "appVersion"});
    for (size_t u = 0; u < m.users().size(); ++u) {
      Prng rng = Prng::stream(m.options().seed, "sessions", u);
      int64_t count = 1 + static_cast<int64_t>(rng.below(4));
      for (int64_t k = 0; k < count; ++k) {
        const Device& d = kDevices[rng.below(sizeof kDevices / sizeof kDevices[0])];
        std::string token(32, '\0');
        rng.fill(reinterpret_cast<unsigned char*>(token.data()), token.size());
        bool stale = rng.chance(0.3);  // idle for more than 90 days: SessionCleanup removes it
        Timestamp used = ctx.days_ago(stale ? 91 + rng.uniform() * 200 : rng.uniform() * 7);
        Timestamp created = Timestamp::from_seconds(used.seconds() - rng.uniform() * 90 * 86400);
        auto line = out.row();
        line.uuid(rng.uuid()).bytea(token).timestamp(created).timestamp(used);
        line.uuid(m.users()[u].id).text(d.type).text(d.os);
        if (d.app_version) line.text(d.app_version);
        else line.null();
        line.end();
      }
    }
    finish(ctx, "session", out);
  }
  CopyStream out(ctx.conn, "notification",
                 {"id", "createdAt", "updatedAt", "deletedAt", "userId", "level", "type", "data",
                  "title", "description", "readAt"});
  for (size_t u = 0; u < m.users().size(); ++u) {
    Prng rng = Prng::stream(m.options().seed, "notifications", u);
    int64_t count = 6 + static_cast<int64_t>(rng.below(7));
    for (int64_t k = 0; k < count; ++k) {
      const auto& kind = kNotifications[rng.below(sizeof kNotifications / sizeof kNotifications[0])];
      double age = rng.uniform() * 40;
      Timestamp created = ctx.days_ago(age);
      auto line = out.row();
      line.uuid(rng.uuid()).timestamp(created).timestamp(created);
      if (rng.chance(0.2)) line.timestamp(ctx.days_ago(age * rng.uniform()));
      else line.null();
      line.uuid(m.users()[u].id).text(kind.level).text(kind.type);
      if (std::string_view(kind.type).starts_with("Album") && m.album_count() > 0) {
        line.text("{\"albumId\": \"" + m.album_id(rng.below(m.album_count())) + "\"}");
      } else {
        line.null();
      }
      line.text(kind.title).text(std::string(kind.title) + ".");
      if (rng.chance(0.5)) line.timestamp(ctx.days_ago(age * rng.uniform()));
      else line.null();
      line.end();
    }
  }
  finish(ctx, "notification", out);
}

void load_audit(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  const auto& users = m.users();
  auto user_of = [&](Prng& rng) { return users[rng.below(users.size())].id; };
  const int64_t n = m.asset_count();
  audit_table(ctx, "asset_audit", {"assetId", "ownerId"}, std::max<int64_t>(10, n / 20),
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(user_of(rng)); });
  audit_table(ctx, "asset_face_audit", {"assetFaceId", "assetId"}, std::max<int64_t>(5, n / 40),
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(rng.uuid()); });
  audit_table(ctx, "album_audit", {"albumId", "userId"}, 3 + m.album_count() / 4,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(user_of(rng)); });
  audit_table(ctx, "album_asset_audit", {"albumId", "assetId"},
              m.album_count() ? std::max<int64_t>(5, n / 50) : 0,
              [&](CopyLine& l, Prng& rng, int64_t) {
                l.uuid(m.album_id(rng.below(m.album_count()))).uuid(rng.uuid());
              });
  audit_table(ctx, "album_user_audit", {"albumId", "userId"}, 5,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(user_of(rng)); });
  audit_table(ctx, "person_audit", {"personId", "ownerId"}, 2 + m.person_count() / 10,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(user_of(rng)); });
  audit_table(ctx, "stack_audit", {"stackId", "userId"}, 5,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(user_of(rng)); });
  audit_table(ctx, "memory_audit", {"memoryId", "userId"}, 5,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()).uuid(user_of(rng)); });
  int64_t memories = first_memory(m, static_cast<int>(users.size()));
  audit_table(ctx, "memory_asset_audit", {"memoryId", "assetId"}, memories ? 10 : 0,
              [&](CopyLine& l, Prng& rng, int64_t) {
                l.uuid(memory_id(m, rng.below(memories))).uuid(rng.uuid());
              });
  audit_table(ctx, "partner_audit", {"sharedById", "sharedWithId"}, 2,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(user_of(rng)).uuid(rng.uuid()); });
  audit_table(ctx, "user_audit", {"userId"}, 2,
              [&](CopyLine& l, Prng& rng, int64_t) { l.uuid(rng.uuid()); });
  // The legacy `audit` table (nothing writes it at v2.7.5; AuditLogCleanup keeps 100 days).
  CopyStream out(ctx.conn, "audit", {"entityType", "entityId", "action", "ownerId", "createdAt"});
  for (int64_t k = 0; k < std::max<int64_t>(5, n / 50); ++k) {
    Prng rng = Prng::stream(m.options().seed, "audit", k);
    out.row()
        .text("ASSET")
        .uuid(rng.uuid())
        .text("DELETE")
        .uuid(user_of(rng))
        .timestamp(ctx.days_ago(rng.uniform() * 200))
        .end();
  }
  finish(ctx, "audit", out);
}

}  // namespace keepsake::dev
