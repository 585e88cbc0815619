// The 22 SQL functions of Immich v2.7.5 (server/src/schema/functions.ts), as declarations.
#include "schema/functions.h"

#include "schema/pg_text.h"

namespace keepsake::schema {
namespace {

FunctionDecl trigger_function(std::string name, std::string body) {
  FunctionDecl f;
  f.name = std::move(name);
  f.source_returns = "TRIGGER";
  f.body = std::move(body);
  return f;
}

// BEGIN INSERT INTO <audit_table> (<audit columns>) SELECT <old columns> FROM OLD; RETURN NULL; END
FunctionDecl audit_function(std::string name, const std::string& audit_table,
                            const std::vector<std::string>& audit_columns,
                            const std::vector<std::string>& old_columns) {
  return trigger_function(std::move(name), R"(
    BEGIN
      INSERT INTO )" + audit_table + " (" + join_quoted(audit_columns) +
                                               R"()
      SELECT )" + join_quoted(old_columns) + R"(
      FROM OLD;
      RETURN NULL;
    END
  )");
}

// Like audit_function, but only for rows whose parent (<parent_table>.id = <fk>) still exists,
// so a cascade from deleting the parent records nothing.
FunctionDecl child_audit_function(std::string name, const std::string& audit_table,
                                  const std::vector<std::string>& audit_columns,
                                  const std::string& parent_table, const std::string& fk,
                                  const std::string& other) {
  const std::string q_fk = always_quote(fk);
  return trigger_function(std::move(name), R"(
    BEGIN
      INSERT INTO )" + audit_table + " (" + join_quoted(audit_columns) +
                                               R"()
      SELECT )" + q_fk + ", " + always_quote(other) +
                                               R"( FROM OLD
      WHERE )" + q_fk + R"( IN (SELECT "id" FROM )" +
                                               parent_table + R"( WHERE "id" IN (SELECT )" + q_fk +
                                               R"( FROM OLD));
      RETURN NULL;
    END
  )");
}

const char* kUuidV7Body = R"(
    SELECT encode(
      set_bit(
        set_bit(
          overlay(uuid_send(gen_random_uuid())
                  placing substring(int8send(floor(extract(epoch from p_timestamp) * 1000)::bigint) from 3)
                  from 1 for 6
          ),
          52, 1
        ),
        53, 1
      ),
      'hex')::uuid;
  )";

const char* kLlToEarthExpression =
    "public.cube(public.cube(public.cube(public.earth()*cos(radians(latitude))*cos(radians("
    "longitude))),public.earth()*cos(radians(latitude))*sin(radians(longitude))),public.earth()*"
    "sin(radians(latitude)))::public.earth";

FunctionDecl immich_uuid_v7() {
  FunctionDecl f;
  f.name = "immich_uuid_v7";
  f.arguments = "p_timestamp timestamp with time zone DEFAULT clock_timestamp()";
  f.source_arguments = "p_timestamp timestamp with time zone default clock_timestamp()";
  f.returns = "uuid";
  f.language = "sql";
  f.volatility = Volatility::kVolatile;
  f.body = kUuidV7Body;
  // The initial migration created it with a lower-case `select`; the code later upper-cased it.
  std::string stored = kUuidV7Body;
  stored.replace(stored.find("SELECT"), 6, "select");
  f.stored_body = stored;
  return f;
}

FunctionDecl updated_at() {
  return trigger_function("updated_at", R"(
    DECLARE
        clock_timestamp TIMESTAMP := clock_timestamp();
    BEGIN
        new."updatedAt" = clock_timestamp;
        new."updateId" = immich_uuid_v7(clock_timestamp);
        return new;
    END;
  )");
}

FunctionDecl f_concat_ws() {
  FunctionDecl f;
  f.name = "f_concat_ws";
  f.arguments = "text, text[]";
  f.returns = "text";
  f.language = "sql";
  f.volatility = Volatility::kImmutable;
  f.parallel_safe = true;
  f.body = "SELECT array_to_string($2, $1)";
  return f;
}

FunctionDecl f_unaccent() {
  FunctionDecl f;
  f.name = "f_unaccent";
  f.arguments = "text";
  f.returns = "text";
  f.language = "sql";
  f.volatility = Volatility::kImmutable;
  f.parallel_safe = true;
  f.strict = true;
  f.return_expression = "unaccent('unaccent', $1)";
  f.return_expression_catalog = "unaccent('unaccent'::regdictionary, $1)";
  return f;
}

FunctionDecl ll_to_earth_public() {
  FunctionDecl f;
  f.name = "ll_to_earth_public";
  f.arguments = "latitude double precision, longitude double precision";
  f.returns = "earth";
  f.source_returns = "public.earth";
  f.language = "sql";
  f.volatility = Volatility::kImmutable;
  f.parallel_safe = true;
  f.strict = true;
  f.body = std::string("SELECT ") + kLlToEarthExpression;
  // The initial migration wrote the body on its own indented line.
  f.stored_body = std::string("\n    SELECT ") + kLlToEarthExpression + "\n  ";
  return f;
}

FunctionDecl album_user_delete_audit() {
  return trigger_function("album_user_delete_audit", R"(
    BEGIN
      INSERT INTO album_audit ("albumId", "userId")
      SELECT "albumId", "userId"
      FROM OLD;

      IF pg_trigger_depth() = 1 THEN
        INSERT INTO album_user_audit ("albumId", "userId")
        SELECT "albumId", "userId"
        FROM OLD;
      END IF;

      RETURN NULL;
    END
  )");
}

FunctionDecl album_user_after_insert() {
  return trigger_function("album_user_after_insert", R"(
    BEGIN
      UPDATE album SET "updatedAt" = clock_timestamp(), "updateId" = immich_uuid_v7(clock_timestamp())
      WHERE "id" IN (SELECT DISTINCT "albumId" FROM inserted_rows);
      RETURN NULL;
    END
  )");
}

FunctionDecl asset_edit_insert() {
  return trigger_function("asset_edit_insert", R"(
    BEGIN
      UPDATE asset
      SET "isEdited" = true
      FROM inserted_edit
      WHERE asset.id = inserted_edit."assetId" AND NOT asset."isEdited";
      RETURN NULL;
    END
  )");
}

FunctionDecl asset_edit_delete() {
  return trigger_function("asset_edit_delete", R"(
    BEGIN
      UPDATE asset
      SET "isEdited" = false
      FROM deleted_edit
      WHERE asset.id = deleted_edit."assetId" AND asset."isEdited"
        AND NOT EXISTS (SELECT FROM asset_edit edit WHERE edit."assetId" = asset.id);
      RETURN NULL;
    END
  )");
}

}  // namespace

std::vector<FunctionDecl> immich_functions() {
  return {
      immich_uuid_v7(),
      updated_at(),
      f_concat_ws(),
      f_unaccent(),
      ll_to_earth_public(),
      audit_function("user_delete_audit", "user_audit", {"userId"}, {"id"}),
      audit_function("partner_delete_audit", "partner_audit", {"sharedById", "sharedWithId"},
                     {"sharedById", "sharedWithId"}),
      audit_function("asset_delete_audit", "asset_audit", {"assetId", "ownerId"},
                     {"id", "ownerId"}),
      audit_function("album_delete_audit", "album_audit", {"albumId", "userId"}, {"id", "ownerId"}),
      child_audit_function("album_asset_delete_audit", "album_asset_audit", {"albumId", "assetId"},
                           "album", "albumId", "assetId"),
      album_user_delete_audit(),
      album_user_after_insert(),
      audit_function("memory_delete_audit", "memory_audit", {"memoryId", "userId"},
                     {"id", "ownerId"}),
      child_audit_function("memory_asset_delete_audit", "memory_asset_audit",
                           {"memoryId", "assetId"}, "memory", "memoriesId", "assetId"),
      audit_function("stack_delete_audit", "stack_audit", {"stackId", "userId"}, {"id", "ownerId"}),
      audit_function("person_delete_audit", "person_audit", {"personId", "ownerId"},
                     {"id", "ownerId"}),
      audit_function("user_metadata_audit", "user_metadata_audit", {"userId", "key"},
                     {"userId", "key"}),
      audit_function("asset_metadata_audit", "asset_metadata_audit", {"assetId", "key"},
                     {"assetId", "key"}),
      audit_function("asset_face_audit", "asset_face_audit", {"assetFaceId", "assetId"},
                     {"id", "assetId"}),
      asset_edit_insert(),
      asset_edit_delete(),
      audit_function("asset_edit_audit", "asset_edit_audit", {"editId", "assetId"},
                     {"id", "assetId"}),
  };
}

}  // namespace keepsake::schema
