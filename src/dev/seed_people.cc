// People (face clusters), detected faces and their embeddings. A face's embedding cluster is its
// person, so face_search has about one cluster per vectors_per_cluster faces.
#include <cmath>

#include "dev/copy_text.h"
#include "dev/embeddings.h"
#include "dev/prng.h"
#include "dev/seed_writers.h"

namespace keepsake::dev {
namespace {

void load_persons(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  CopyStream out(ctx.conn, "person",
                 {"id", "createdAt", "updatedAt", "ownerId", "name", "thumbnailPath", "isHidden",
                  "birthDate", "isFavorite", "color"});
  for (int64_t p = 0; p < m.person_count(); ++p) {
    Prng rng = Prng::stream(m.options().seed, "person-row", p);
    const UserFacts& owner = m.users()[m.person_owner(p)];
    std::string id = m.person_id(p);
    bool named = rng.chance(0.6);
    std::string name = named ? std::string(first_names()[rng.below(first_names().size())]) + " " +
                                   std::string(last_names()[rng.below(last_names().size())])
                             : "";
    Timestamp created = ctx.days_ago(rng.uniform() * 700);
    auto line = out.row();
    line.uuid(id).timestamp(created).timestamp(created).uuid(owner.id).text(name);
    line.text(m.person_thumbnail_path(p)).boolean(rng.chance(0.03));
    if (named && rng.chance(0.4)) line.text(format_date(ctx.days_ago(3000 + rng.uniform() * 25000)));
    else line.null();
    line.boolean(named && rng.chance(0.08));
    if (rng.chance(0.2)) line.text(avatar_colors()[rng.below(avatar_colors().size())]);
    else line.null();
    line.end();
  }
  ctx.progress.advance(m.person_count(), "person");
  int64_t bytes = out.bytes();
  ctx.loaded("person", out.finish(), bytes);
}

}  // namespace

void load_people(SeedContext& ctx) {
  const LibraryModel& m = ctx.model;
  load_persons(ctx);
  std::vector<std::string> cover_face(m.person_count());
  {
    CopyStream out(ctx.conn, "asset_face",
                   {"id", "assetId", "personId", "imageWidth", "imageHeight", "boundingBoxX1",
                    "boundingBoxY1", "boundingBoxX2", "boundingBoxY2", "sourceType", "updatedAt"});
    for (int64_t i = 0; i < m.asset_count(); ++i) {
      AssetFacts a = m.asset(i);
      int w = a.width >= a.height ? 1440 : 1080, h = a.width >= a.height ? 1080 : 1440;
      for (int slot = 0; slot < a.face_count; ++slot) {
        Prng rng = Prng::stream(m.options().seed, "face-box", i * 8 + slot);
        bool recognised = false;
        int64_t person = m.face_person(a, slot, &recognised);
        std::string id = m.face_id(i, slot);
        if (recognised && cover_face[person].empty()) cover_face[person] = id;
        int size = static_cast<int>(60 + rng.uniform() * 300);
        int x = static_cast<int>(rng.below(w - size)), y = static_cast<int>(rng.below(h - size));
        auto line = out.row();
        line.uuid(id).uuid(a.id);
        if (recognised) line.uuid(m.person_id(person));
        else line.null();
        line.integer(w).integer(h).integer(x).integer(y).integer(x + size).integer(y + size);
        line.text("machine-learning").timestamp(a.created_at).end();
      }
      if ((i & 1023) == 1023) ctx.progress.advance(1536, "asset_face");
    }
    int64_t bytes = out.bytes();
    ctx.loaded("asset_face", out.finish(), bytes);
  }
  if (m.options().embeddings) {
    int clusters = static_cast<int>(std::max<int64_t>(1, m.person_count()));
    EmbeddingSpace space(m.options().seed, "face", clusters, m.options().spread);
    ctx.report.face_clusters = clusters;
    std::vector<float> v(space.dim());
    CopyStream out(ctx.conn, "face_search", {"faceId", "embedding"});
    for (int64_t i = 0; i < m.asset_count(); ++i) {
      AssetFacts a = m.asset(i);
      for (int slot = 0; slot < a.face_count; ++slot) {
        bool recognised = false;
        int64_t person = m.face_person(a, slot, &recognised);
        space.sample(static_cast<uint64_t>(person), static_cast<uint64_t>(i * 8 + slot), v,
                     &ctx.report.faces);
        out.row().uuid(m.face_id(i, slot)).vector(v).end();
      }
      if ((i & 1023) == 1023) ctx.progress.advance(1536, "face_search");
    }
    int64_t bytes = out.bytes();
    ctx.loaded("face_search", out.finish(), bytes);
  }
  ctx.conn.exec("CREATE TEMP TABLE seed_person_cover (person_id uuid, face_id uuid) ON COMMIT DROP",
                {}, "create the person cover staging table");
  {
    CopyStream out(ctx.conn, "seed_person_cover", {"person_id", "face_id"});
    for (int64_t p = 0; p < m.person_count(); ++p) {
      if (!cover_face[p].empty()) out.row().uuid(m.person_id(p)).uuid(cover_face[p]).end();
    }
    out.finish();
  }
  ctx.conn.exec(
      "UPDATE person SET \"faceAssetId\" = c.face_id FROM seed_person_cover c "
      "WHERE person.id = c.person_id",
      {}, "set the cover face of each person");
}

}  // namespace keepsake::dev
