// Assets and what hangs off each one: EXIF, derived files (asset_file), job status, CLIP
// embeddings, and stacks of burst shots.
#include <cmath>
#include <cstdio>

#include "dev/copy_text.h"
#include "dev/embeddings.h"
#include "dev/prng.h"
#include "dev/seed_writers.h"

namespace keepsake::dev {
namespace {

const char* visibility_name(Visibility v) {
  switch (v) {
    case Visibility::kArchive: return "archive";
    case Visibility::kHidden: return "hidden";
    case Visibility::kTimeline: break;
  }
  return "timeline";
}

std::string video_duration(double seconds) {
  int total_ms = static_cast<int>(std::lround(seconds * 1000));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", total_ms / 3600000, total_ms / 60000 % 60,
                total_ms / 1000 % 60, total_ms % 1000);
  return buf;
}

Timestamp after(Timestamp t, double seconds) {
  return Timestamp::from_seconds(t.seconds() + seconds);
}

void write_asset(CopyLine line, const LibraryModel& model, const AssetFacts& a) {
  const auto& owner = model.users()[a.owner];
  Prng rng = Prng::stream(model.options().seed, "asset-row", a.index);
  std::string thumbhash(25, '\0');
  rng.fill(reinterpret_cast<unsigned char*>(thumbhash.data()), thumbhash.size());
  Timestamp updated = a.deleted_at.value_or(a.created_at);
  line.uuid(a.id)
      .text(a.device_asset_id)
      .uuid(owner.id)
      .text(a.device_id)
      .text(a.is_video ? "VIDEO" : "IMAGE")
      .text(a.original_path)
      .timestamp(a.taken)
      .timestamp(after(a.taken, rng.between(0, 5)))
      .boolean(a.is_favorite)
      .text(a.is_video ? std::optional<std::string>(video_duration(a.duration_seconds))
                       : std::nullopt)
      .bytea(model.checksum(a))
      .timestamp(updated)
      .timestamp(a.created_at)
      .text(a.original_file_name)
      .bytea(thumbhash)
      .timestamp(a.deleted_at)
      .timestamp(a.local_date_time())
      .text(a.deleted_at ? "trashed" : "active")
      .text(visibility_name(a.visibility))
      .integer(a.width)
      .integer(a.height)
      .text("sha1")
      .end();
}

void write_exif(CopyLine line, const LibraryModel& model, const AssetFacts& a) {
  const Camera& cam = cameras()[a.camera];
  Prng rng = Prng::stream(model.options().seed, "exif", a.index);
  bool portrait = a.height > a.width;
  line.uuid(a.id).text(cam.make).text(cam.model);
  line.integer(std::max(a.width, a.height)).integer(std::min(a.width, a.height));
  line.integer(a.file_size);
  line.text(portrait && !a.is_video ? "6" : "1");
  line.timestamp(a.taken).timestamp(a.taken);
  if (a.is_video || cam.lens.empty()) line.null();
  else line.text(cam.lens);
  if (a.is_video) {
    line.null().null().null();
  } else {
    double f = cam.f_number_min + (cam.f_number_max - cam.f_number_min) * std::pow(rng.uniform(), 3);
    double focal = cam.focal_min + (cam.focal_max - cam.focal_min) * rng.uniform();
    static const int kIso[] = {50, 64, 100, 125, 160, 200, 400, 800, 1600, 3200, 6400};
    line.real(std::round(f * 10) / 10).real(std::round(focal * 100) / 100);
    line.integer(kIso[rng.below(sizeof kIso / sizeof kIso[0])]);
  }
  if (a.place) {
    const Place& p = places()[*a.place];
    line.real(a.latitude).real(a.longitude).text(p.city);
    if (p.state.empty()) line.null();
    else line.text(p.state);
    line.text(p.country);
  } else {
    line.null().null().null().null().null();
  }
  line.text("");  // description
  if (a.is_video) line.real(rng.chance(0.7) ? 30 : 60);
  else line.null();
  if (a.is_video) line.null();
  else line.text(exposure_times()[rng.below(exposure_times().size())]);
  line.text(a.time_zone);
  line.text(cam.is_phone && cam.make == "Apple" ? "Display P3" : "sRGB IEC61966-2.1");
  line.text("RGB");
  line.integer(8);
  if (rng.chance(0.05)) line.integer(rng.between(1, 5));
  else line.null();
  line.end();
}

void write_files(CopyStream& out, const LibraryModel& model, const AssetFacts& a) {
  const std::string& owner = model.users()[a.owner].id;
  Prng rng = Prng::stream(model.options().seed, "asset-file", a.index);
  Timestamp made = after(a.created_at, 5 + rng.uniform() * 600);
  for (const auto& f : a.derived_files(model.options().media_location, owner)) {
    out.row()
        .uuid(Prng::stream(model.options().seed, "file", a.index * 4 + f.slot).uuid())
        .uuid(a.id)
        .timestamp(made)
        .timestamp(made)
        .text(f.type)
        .text(f.path)
        .end();
  }
}

template <typename Fn>
void for_each_asset(SeedContext& ctx, const std::string& table, CopyStream& out, Fn&& fn) {
  for (int64_t i = 0; i < ctx.model.asset_count(); ++i) {
    fn(ctx.model.asset(i));
    if ((i & 1023) == 1023) ctx.progress.advance(1024, table);
  }
  ctx.progress.advance(ctx.model.asset_count() % 1024, table);
  int64_t bytes = out.bytes();
  ctx.loaded(table, out.finish(), bytes);
}

}  // namespace

void load_assets(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  {
    CopyStream out(ctx.conn, "asset",
                   {"id", "deviceAssetId", "ownerId", "deviceId", "type", "originalPath",
                    "fileCreatedAt", "fileModifiedAt", "isFavorite", "duration", "checksum",
                    "updatedAt", "createdAt", "originalFileName", "thumbhash", "deletedAt",
                    "localDateTime", "status", "visibility", "width", "height",
                    "checksumAlgorithm"});
    for_each_asset(ctx, "asset", out, [&](const AssetFacts& a) { write_asset(out.row(), m, a); });
  }
  {
    CopyStream out(ctx.conn, "asset_exif",
                   {"assetId", "make", "model", "exifImageWidth", "exifImageHeight",
                    "fileSizeInByte", "orientation", "dateTimeOriginal", "modifyDate",
                    "lensModel", "fNumber", "focalLength", "iso", "latitude", "longitude", "city",
                    "state", "country", "description", "fps", "exposureTime", "timeZone",
                    "profileDescription", "colorspace", "bitsPerSample", "rating"});
    for_each_asset(ctx, "asset_exif", out,
                   [&](const AssetFacts& a) { write_exif(out.row(), m, a); });
  }
  {
    CopyStream out(ctx.conn, "asset_file",
                   {"id", "assetId", "createdAt", "updatedAt", "type", "path"});
    for_each_asset(ctx, "asset_file", out, [&](const AssetFacts& a) { write_files(out, m, a); });
  }
  {
    CopyStream out(ctx.conn, "asset_job_status",
                   {"assetId", "facesRecognizedAt", "metadataExtractedAt", "duplicatesDetectedAt"});
    for_each_asset(ctx, "asset_job_status", out, [&](const AssetFacts& a) {
      Timestamp t = after(a.created_at, 30);
      out.row().uuid(a.id).timestamp(after(t, 60)).timestamp(t).timestamp(after(t, 90)).end();
    });
  }
}

void load_smart_search(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  if (!m.options().embeddings) return;
  EmbeddingSpace space(m.options().seed, "clip", static_cast<int>(m.smart_clusters()),
                       m.options().spread);
  ctx.report.smart_clusters = m.smart_clusters();
  std::vector<float> v(space.dim());
  CopyStream out(ctx.conn, "smart_search", {"assetId", "embedding"});
  for_each_asset(ctx, "smart_search", out, [&](const AssetFacts& a) {
    space.sample(a.smart_cluster, static_cast<uint64_t>(a.index), v, &ctx.report.smart);
    out.row().uuid(a.id).vector(v).end();
  });
}

void load_stacks(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  std::vector<int64_t> events;
  for (int64_t e = 0; e < m.event_count(); ++e) {
    if (m.event(e).burst_stack && e * LibraryModel::kAssetsPerEvent + 2 < m.asset_count()) {
      events.push_back(e);
    }
  }
  {
    CopyStream out(ctx.conn, "stack", {"id", "primaryAssetId", "ownerId", "createdAt", "updatedAt"});
    for (int64_t e : events) {
      AssetFacts primary = m.asset(e * LibraryModel::kAssetsPerEvent);
      out.row()
          .uuid(m.stack_id(e))
          .uuid(primary.id)
          .uuid(m.users()[primary.owner].id)
          .timestamp(primary.created_at)
          .timestamp(primary.created_at)
          .end();
    }
    int64_t bytes = out.bytes();
    ctx.loaded("stack", out.finish(), bytes);
  }
  ctx.conn.exec("CREATE TEMP TABLE seed_stack_member (asset_id uuid, stack_id uuid) ON COMMIT DROP",
                {}, "create the stack member staging table");
  {
    CopyStream out(ctx.conn, "seed_stack_member", {"asset_id", "stack_id"});
    for (int64_t e : events) {
      for (int k = 0; k < 3; ++k) {
        out.row().uuid(m.asset_id(e * LibraryModel::kAssetsPerEvent + k)).uuid(m.stack_id(e)).end();
      }
    }
    out.finish();
  }
  ctx.conn.exec(
      "UPDATE asset SET \"stackId\" = s.stack_id FROM seed_stack_member s WHERE asset.id = s.asset_id",
      {}, "link stacked assets to their stacks");
  ctx.progress.advance(static_cast<int64_t>(events.size()) * 4, "stack");
}

}  // namespace keepsake::dev
