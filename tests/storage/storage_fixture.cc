#include "storage/storage_fixture.h"

#include "harness/paths.h"

namespace keepsake::storage::testing {

ProcessOptions keepsake_options(const std::string& db_name, const std::string& media,
                                const std::string& data_dir, std::vector<std::string> args,
                                const std::map<std::string, std::string>& extra_env) {
  args.insert(args.begin(), keepsake::testing::keepsake_binary());
  ProcessOptions options;
  options.argv = args;
  auto env = extra_env;
  env.insert({{"DB_URL", keepsake::testing::database_url(db_name)},
              {"IMMICH_MEDIA_LOCATION", media},
              {"KEEPSAKE_DATA_DIR", data_dir},
              {"IMMICH_LOG_LEVEL", "warn"}});
  options.env = minimal_environment(env);
  return options;
}

ProcessResult run_keepsake(const std::string& db_name, const std::string& media,
                           const std::string& data_dir, std::vector<std::string> args,
                           const std::map<std::string, std::string>& extra_env) {
  return run_process(keepsake_options(db_name, media, data_dir, std::move(args), extra_env));
}

void StorageDbTest::SetUp() {
  DatabaseTest::SetUp();
  conn_->exec_script(R"sql(
    CREATE TABLE "system_metadata" ("key" varchar PRIMARY KEY, "value" jsonb NOT NULL);
    CREATE TABLE "user" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "email" varchar NOT NULL, "profileImagePath" varchar NOT NULL DEFAULT '',
      "storageLabel" varchar);
    CREATE TABLE "asset" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "ownerId" uuid NOT NULL REFERENCES "user"("id"), "originalPath" varchar NOT NULL,
      "isExternal" boolean NOT NULL DEFAULT false, "libraryId" uuid);
    CREATE INDEX "asset_originalPath_libraryId_idx" ON "asset" ("originalPath", "libraryId");
    CREATE TABLE "asset_file" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "assetId" uuid NOT NULL REFERENCES "asset"("id") ON DELETE CASCADE,
      "type" varchar NOT NULL, "path" varchar NOT NULL);
    CREATE TABLE "person" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "ownerId" uuid NOT NULL REFERENCES "user"("id"),
      "thumbnailPath" varchar NOT NULL DEFAULT '');
  )sql");
}

std::string StorageDbTest::add_user(const std::string& profile_image_path) {
  return conn_
      ->exec(R"(INSERT INTO "user" ("email", "profileImagePath")
                VALUES (gen_random_uuid()::text || '@example.com', $1) RETURNING "id")",
             {profile_image_path})
      .text(0, 0);
}

std::string StorageDbTest::add_asset(const std::string& owner_id, const std::string& original_path,
                                     bool external) {
  return conn_
      ->exec(R"(INSERT INTO "asset" ("ownerId", "originalPath", "isExternal")
                VALUES ($1, $2, $3) RETURNING "id")",
             {owner_id, original_path, external ? "true" : "false"})
      .text(0, 0);
}

void StorageDbTest::add_asset_file(const std::string& asset_id, const std::string& type,
                                   const std::string& path) {
  conn_->exec(R"(INSERT INTO "asset_file" ("assetId", "type", "path") VALUES ($1, $2, $3))",
              {asset_id, type, path});
}

std::string StorageDbTest::add_person(const std::string& owner_id,
                                      const std::string& thumbnail_path) {
  return conn_
      ->exec(R"(INSERT INTO "person" ("ownerId", "thumbnailPath") VALUES ($1, $2) RETURNING "id")",
             {owner_id, thumbnail_path})
      .text(0, 0);
}

int64_t StorageDbTest::count(const std::string& sql) { return conn_->exec(sql).int64(0, 0); }

}  // namespace keepsake::storage::testing
