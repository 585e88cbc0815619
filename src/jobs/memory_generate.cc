#include "jobs/memory_generate.h"

#include <spdlog/spdlog.h>

#include <string>

#include "common/error.h"
#include "db/locks.h"
#include "db/system_metadata.h"

namespace keepsake::jobs {
namespace {

// Creates the memories of one target day (YYYY-MM-DD, UTC) for every user not deleted.
int64_t generate_for_day(db::Connection& conn, const std::string& target) {
  db::Transaction tx(conn);
  auto r = tx.exec(R"(
    WITH day AS (SELECT $1::date AS d),
    cand AS (
      SELECT a.id, a."ownerId",
             extract(year FROM (a."localDateTime" AT TIME ZONE 'UTC'))::int AS year,
             row_number() OVER (
               PARTITION BY a."ownerId", extract(year FROM (a."localDateTime" AT TIME ZONE 'UTC'))
               ORDER BY a."localDateTime" DESC, a.id) AS rn
        FROM asset a JOIN "user" u ON u.id = a."ownerId" AND u."deletedAt" IS NULL, day
       WHERE a.visibility = 'timeline' AND a."deletedAt" IS NULL
         AND EXISTS (SELECT FROM asset_job_status j WHERE j."assetId" = a.id)
         AND EXISTS (SELECT FROM asset_file f WHERE f."assetId" = a.id AND f.type = 'preview')
         AND extract(month FROM (a."localDateTime" AT TIME ZONE 'UTC')) = extract(month FROM day.d)
         AND extract(day FROM (a."localDateTime" AT TIME ZONE 'UTC')) = extract(day FROM day.d)
         AND extract(year FROM (a."localDateTime" AT TIME ZONE 'UTC')) < extract(year FROM day.d)),
    mem AS (
      INSERT INTO memory ("ownerId", type, data, "memoryAt", "showAt", "hideAt")
      SELECT g."ownerId", 'on_this_day', jsonb_build_object('year', g.year),
             (day.d + make_interval(years => g.year - extract(year FROM day.d)::int))::timestamp
               AT TIME ZONE 'UTC',
             day.d::timestamp AT TIME ZONE 'UTC',
             (day.d::timestamp + interval '1 day' - interval '1 millisecond') AT TIME ZONE 'UTC'
        FROM (SELECT DISTINCT "ownerId", year FROM cand) g, day
      RETURNING id, "ownerId", (data->>'year')::int AS year),
    links AS (
      INSERT INTO memory_asset ("memoriesId", "assetId")
      SELECT mem.id, cand.id FROM mem
        JOIN cand ON cand."ownerId" = mem."ownerId" AND cand.year = mem.year AND cand.rn <= 20
      RETURNING 1)
    SELECT (SELECT count(*) FROM mem), (SELECT count(*) FROM links))",
                   {target}, "create memories for " + target);
  tx.commit();
  return r.int64(0, 0);
}

}  // namespace

int64_t memory_generate(db::Connection& conn) { return memory_generate_on(conn, ""); }

int64_t memory_generate_on(db::Connection& conn, const std::string& today_utc) {
  int64_t created = 0;
  std::string first_error;
  db::with_lock(conn.config(), db::DatabaseLock::MemoryCreation, [&](db::Connection&) {
    db::SystemMetadataRepository metadata(conn);
    auto days = conn.exec(
        R"(WITH s AS (SELECT coalesce(nullif($2, '')::date, (now() AT TIME ZONE 'UTC')::date) - 3
                            AS start)
           SELECT to_char(s.start + i, 'YYYY-MM-DD') FROM s, generate_series(0, 6) AS i
            WHERE s.start + i > coalesce(
                    (($1::jsonb)->>'lastOnThisDayDate')::timestamptz AT TIME ZONE 'UTC', s.start)
            ORDER BY 1)",
        {metadata.get(db::metadata_key::kMemoriesState).value_or(nlohmann::json::object()).dump(),
         today_utc},
        "plan memory days");
    for (int i = 0; i < days.rows(); ++i) {
      std::string target = days.text(i, 0);
      try {
        created += generate_for_day(conn, target);
      } catch (const std::exception& e) {
        spdlog::error("Failed to create memories for {}: {}", target, e.what());
        if (first_error.empty()) first_error = target + ": " + e.what();
      }
      metadata.upsert(db::metadata_key::kMemoriesState,
                      {{"lastOnThisDayDate", target + "T00:00:00.000Z"}});
    }
  });
  if (created > 0) spdlog::info("Created {} memories", created);
  if (!first_error.empty()) {
    throw Error(ErrorKind::kDatabase, "creating memories failed for " + first_error);
  }
  return created;
}

}  // namespace keepsake::jobs
