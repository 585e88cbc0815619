#include "db/system_metadata.h"

#include "common/error.h"

namespace keepsake::db {

std::optional<nlohmann::json> SystemMetadataRepository::get(const std::string& key) {
  auto r = conn_.exec(R"(SELECT "value"::text FROM "system_metadata" WHERE "key" = $1)", {key},
                      "read system_metadata");
  if (r.empty() || r.is_null(0, 0)) return std::nullopt;
  try {
    return nlohmann::json::parse(r.text(0, 0));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kCorrupt, "system_metadata \"" + key + "\" holds invalid JSON");
  }
}

void SystemMetadataRepository::upsert(const std::string& key, const nlohmann::json& value) {
  conn_.exec(R"(INSERT INTO "system_metadata" ("key", "value") VALUES ($1, $2::jsonb)
                ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value")",
             {key, value.dump()}, "write system_metadata");
}

void SystemMetadataRepository::remove(const std::string& key) {
  conn_.exec(R"(DELETE FROM "system_metadata" WHERE "key" = $1)", {key},
             "delete from system_metadata");
}

}  // namespace keepsake::db
