// Albums (with members and shares), tags (with their closure table) and memories.
#include <algorithm>
#include <map>

#include "dev/copy_text.h"
#include "dev/prng.h"
#include "dev/seed_writers.h"

namespace keepsake::dev {

int64_t memory_count(const LibraryModel& m, int user) {
  const auto& u = m.users()[user];
  return u.asset_count ? 8 + u.asset_count / 2000 : 0;
}

int64_t first_memory(const LibraryModel& m, int user) {
  int64_t first = 0;
  for (int u = 0; u < user; ++u) first += memory_count(m, u);
  return first;
}

std::string memory_id(const LibraryModel& m, int64_t memory) {
  return Prng::stream(m.options().seed, "memory", memory).uuid();
}

namespace {

void load_album_rows(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  CopyStream out(ctx.conn, "album",
                 {"id", "ownerId", "albumName", "createdAt", "albumThumbnailAssetId", "updatedAt",
                  "description", "isActivityEnabled", "order"});
  for (int64_t album = 0; album < m.album_count(); ++album) {
    Prng rng = Prng::stream(m.options().seed, "album-row", album);
    int64_t first = m.album_first_asset(album);
    std::string name(album_names()[rng.below(album_names().size())]);
    Timestamp created = ctx.days_ago(rng.uniform() * 1000);
    std::optional<std::string> thumbnail;
    if (first >= 0) {
      AssetFacts a = m.asset(first);
      name += " " + format_date(a.taken).substr(0, 4);
      created = Timestamp::from_seconds(a.created_at.seconds() + 3600);
      thumbnail = a.id;
    }
    if (created.seconds() > ctx.now().seconds()) created = ctx.days_ago(0.01);
    auto line = out.row();
    line.uuid(m.album_id(album)).uuid(m.users()[m.album_owner(album)].id).text(name);
    line.timestamp(created);
    if (thumbnail) line.uuid(*thumbnail);
    else line.null();
    line.timestamp(created).text(rng.chance(0.2) ? "Photos from " + name : "");
    line.boolean(rng.chance(0.9)).text(rng.chance(0.8) ? "desc" : "asc").end();
  }
  ctx.progress.advance(m.album_count(), "album");
  int64_t bytes = out.bytes();
  ctx.loaded("album", out.finish(), bytes);
}

}  // namespace

void load_albums(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  load_album_rows(ctx);
  {
    CopyStream out(ctx.conn, "album_asset", {"albumId", "assetId", "createdAt", "updatedAt"});
    for (int64_t e = 0; e < m.event_count(); ++e) {
      EventFacts ev = m.event(e);
      if (ev.album < 0) continue;
      int64_t end = std::min(m.asset_count(), (e + 1) * LibraryModel::kAssetsPerEvent);
      for (int64_t i = e * LibraryModel::kAssetsPerEvent; i < end; ++i) {
        Prng rng = Prng::stream(m.options().seed, "album-member", i);
        if (!rng.chance(0.85)) continue;
        AssetFacts a = m.asset(i);
        Timestamp added = Timestamp::from_seconds(
            std::min(a.created_at.seconds() + 86400 * rng.uniform(), ctx.now().seconds()));
        out.row().uuid(m.album_id(ev.album)).uuid(a.id).timestamp(added).timestamp(added).end();
      }
    }
    ctx.progress.advance(out.rows(), "album_asset");
    int64_t bytes = out.bytes();
    ctx.loaded("album_asset", out.finish(), bytes);
  }
  CopyStream out(ctx.conn, "album_user", {"albumId", "userId", "role", "createdAt", "updatedAt"});
  if (m.users().size() > 1) {
    for (int64_t album = 0; album < m.album_count(); ++album) {
      Prng rng = Prng::stream(m.options().seed, "album-share", album);
      if (!rng.chance(0.2)) continue;
      int owner = m.album_owner(album);
      int other = static_cast<int>((owner + 1 + rng.below(m.users().size() - 1)) % m.users().size());
      Timestamp shared = ctx.days_ago(rng.uniform() * 300);
      out.row()
          .uuid(m.album_id(album))
          .uuid(m.users()[other].id)
          .text(rng.chance(0.7) ? "editor" : "viewer")
          .timestamp(shared)
          .timestamp(shared)
          .end();
    }
  }
  int64_t bytes = out.bytes();
  ctx.loaded("album_user", out.finish(), bytes);
}

void load_tags(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  auto paths = tag_paths();
  auto tag_id = [&](size_t user, size_t tag) {
    return Prng::stream(m.options().seed, "tag", user * 1000 + tag).uuid();
  };
  std::map<std::string_view, size_t> index_of;
  for (size_t t = 0; t < paths.size(); ++t) index_of[paths[t]] = t;
  auto parent_of = [&](size_t t) -> std::optional<size_t> {
    auto slash = paths[t].rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    return index_of.at(paths[t].substr(0, slash));
  };
  {
    CopyStream out(ctx.conn, "tag", {"id", "userId", "value", "createdAt", "updatedAt", "color",
                                     "parentId"});
    for (size_t u = 0; u < m.users().size(); ++u) {
      for (size_t t = 0; t < paths.size(); ++t) {
        Prng rng = Prng::stream(m.options().seed, "tag-row", u * 1000 + t);
        Timestamp created = ctx.days_ago(100 + rng.uniform() * 600);
        auto line = out.row();
        line.uuid(tag_id(u, t)).uuid(m.users()[u].id).text(paths[t]).timestamp(created);
        line.timestamp(created);
        if (rng.chance(0.3)) line.text("#4250af");
        else line.null();
        if (auto p = parent_of(t)) line.uuid(tag_id(u, *p));
        else line.null();
        line.end();
      }
    }
    int64_t bytes = out.bytes();
    ctx.loaded("tag", out.finish(), bytes);
  }
  {
    CopyStream out(ctx.conn, "tag_closure", {"id_ancestor", "id_descendant"});
    for (size_t u = 0; u < m.users().size(); ++u) {
      for (size_t t = 0; t < paths.size(); ++t) {
        for (std::optional<size_t> a = t; a; a = parent_of(*a)) {
          out.row().uuid(tag_id(u, *a)).uuid(tag_id(u, t)).end();
        }
      }
    }
    int64_t bytes = out.bytes();
    ctx.loaded("tag_closure", out.finish(), bytes);
  }
  CopyStream out(ctx.conn, "tag_asset", {"assetId", "tagId"});
  for (size_t u = 0; u < m.users().size(); ++u) {
    for (int64_t i : m.assets_of(static_cast<int>(u))) {
      Prng rng = Prng::stream(m.options().seed, "tag-asset", i);
      if (!rng.chance(0.1)) continue;
      size_t first = rng.below(paths.size());
      out.row().uuid(m.asset_id(i)).uuid(tag_id(u, first)).end();
      if (rng.chance(0.3)) {
        size_t second = (first + 1 + rng.below(paths.size() - 1)) % paths.size();
        out.row().uuid(m.asset_id(i)).uuid(tag_id(u, second)).end();
      }
    }
  }
  ctx.progress.advance(out.rows(), "tag_asset");
  int64_t bytes = out.bytes();
  ctx.loaded("tag_asset", out.finish(), bytes);
}

void load_memories(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  CopyStream memories(ctx.conn, "memory",
                      {"id", "createdAt", "updatedAt", "ownerId", "type", "data", "isSaved",
                       "memoryAt", "seenAt", "showAt", "hideAt"});
  std::vector<std::pair<int64_t, std::vector<int64_t>>> members;
  for (int u = 0; u < static_cast<int>(m.users().size()); ++u) {
    const auto& assets = m.assets_of(u);
    int64_t first = first_memory(m, u);
    for (int64_t k = 0; k < memory_count(m, u); ++k) {
      int64_t memory = first + k;
      Prng rng = Prng::stream(m.options().seed, "memory-row", memory);
      std::vector<int64_t> picked;
      for (int tries = 0; tries < 12 && picked.size() < 5; ++tries) {
        int64_t i = assets[rng.below(assets.size())];
        if (std::find(picked.begin(), picked.end(), i) == picked.end()) picked.push_back(i);
      }
      AssetFacts lead = m.asset(picked.front());
      Timestamp created = ctx.days_ago(rng.uniform() * 60);
      int64_t day = static_cast<int64_t>(created.seconds()) / 86400 * 86400;
      auto line = memories.row();
      line.uuid(memory_id(m, memory)).timestamp(created).timestamp(created);
      line.uuid(m.users()[u].id).text("on_this_day");
      line.text("{\"year\": " + format_date(lead.taken).substr(0, 4) + "}");
      line.boolean(rng.chance(0.15)).timestamp(lead.local_date_time());
      if (rng.chance(0.5)) line.timestamp(Timestamp::from_seconds(created.seconds() + 3600));
      else line.null();
      line.timestamp(Timestamp::from_seconds(day)).timestamp(Timestamp::from_seconds(day + 86399));
      line.end();
      members.emplace_back(memory, std::move(picked));
    }
  }
  int64_t bytes = memories.bytes();
  ctx.loaded("memory", memories.finish(), bytes);
  CopyStream out(ctx.conn, "memory_asset", {"memoriesId", "assetId", "createdAt", "updatedAt"});
  for (const auto& [memory, assets] : members) {
    for (int64_t i : assets) {
      Timestamp t = ctx.days_ago(1);
      out.row().uuid(memory_id(m, memory)).uuid(m.asset_id(i)).timestamp(t).timestamp(t).end();
    }
  }
  bytes = out.bytes();
  ctx.loaded("memory_asset", out.finish(), bytes);
}

}  // namespace keepsake::dev
