// The seeder against a real bootstrapped Immich database: constraints hold, the same seed gives
// the same data, bad targets are refused without changes, and a failure rolls everything back.
#include "dev/seeder.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "dev/library_model.h"
#include "harness/bootstrapped_database.h"
#include "schema/drift_check.h"
#include "schema/immich_schema.h"

namespace keepsake::dev {
namespace {

using keepsake::testing::BootstrappedDatabaseTest;

SeedOptions options(int64_t assets, uint64_t seed = 11, std::string media = "/srv/media") {
  SeedOptions o;
  o.assets = assets;
  o.seed = seed;
  o.media_location = std::move(media);
  o.now = parse_utc_time("2026-06-01");
  return o;
}

// Silent, and with the vector indexes rebuilt after the load (much faster than live HNSW
// inserts, and the path large seeds take).
SeedRunOptions quiet() {
  SeedRunOptions r;
  r.progress = Progress::Style::kSilent;
  r.rebuild_vector_indexes_from = 0;
  return r;
}

int64_t count(db::Connection& conn, const std::string& table) {
  return conn.exec("SELECT count(*) FROM " + db::quote_ident(table)).int64(0, 0);
}

// A digest of the seeded columns (not the ones PostgreSQL fills with its own random defaults).
std::string digest(db::Connection& conn) {
  static const char* kQueries[] = {
      "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT id, email, name, "
      "\"isAdmin\", \"storageLabel\", \"quotaUsageInBytes\" FROM \"user\") t",
      "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT id, \"ownerId\", "
      "\"originalPath\", checksum, \"fileCreatedAt\", \"localDateTime\", type, \"stackId\", "
      "\"deletedAt\" FROM asset) t",
      "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT \"assetId\", make, "
      "model, latitude, city, iso FROM asset_exif) t",
      "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT id, \"assetId\", "
      "\"personId\", \"boundingBoxX1\" FROM asset_face) t",
      "SELECT md5(string_agg(\"assetId\"::text || embedding::text, '|' ORDER BY \"assetId\")) "
      "FROM smart_search",
      "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT * FROM tag_closure) t",
      "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT \"albumId\", "
      "\"assetId\" FROM album_asset) t"};
  std::string out;
  for (const char* q : kQueries) out += conn.exec(q).text(0, 0) + ";";
  return out;
}

class SeederTest : public BootstrappedDatabaseTest {};

TEST_F(SeederTest, SeedsAConsistentLibrary) {
  SeedReport report = seed_library(*conn_, options(400), quiet());
  EXPECT_EQ(count(*conn_, "user"), 3);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM \"user\" WHERE \"isAdmin\"").int64(0, 0), 1);
  EXPECT_EQ(count(*conn_, "asset"), 400);
  EXPECT_EQ(count(*conn_, "asset_exif"), 400);
  EXPECT_EQ(count(*conn_, "smart_search"), 400);
  EXPECT_EQ(count(*conn_, "face_search"), count(*conn_, "asset_face"));
  EXPECT_GE(count(*conn_, "asset_file"), 800);
  for (const char* t : {"album", "album_asset", "tag", "tag_closure", "tag_asset", "person",
                        "stack", "memory", "memory_asset", "session", "notification",
                        "asset_audit", "album_asset_audit", "audit", "partner"}) {
    EXPECT_GT(count(*conn_, t), 0) << t;
  }
  int64_t reported = 0;
  for (const auto& [table, rows] : report.rows) {
    EXPECT_EQ(rows, count(*conn_, table)) << table;
    reported += rows;
  }
  EXPECT_EQ(reported, report.total_rows);
  // Unit-length embeddings, as stored.
  auto norms = conn_->exec(
      "SELECT min(vector_norm(embedding)), max(vector_norm(embedding)) FROM smart_search");
  EXPECT_NEAR(norms.real(0, 0), 1.0, 1e-4);
  EXPECT_NEAR(norms.real(0, 1), 1.0, 1e-4);
  norms = conn_->exec("SELECT min(vector_norm(embedding)), max(vector_norm(embedding)) FROM face_search");
  EXPECT_NEAR(norms.real(0, 0), 1.0, 1e-4);
  EXPECT_NEAR(norms.real(0, 1), 1.0, 1e-4);
  // Immich's storage layout, absolute under the media location.
  EXPECT_EQ(conn_->exec(
                "SELECT count(*) FROM asset WHERE \"originalPath\" !~ ('^/srv/media/upload/' || "
                "\"ownerId\" || '/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f-]{36}\\.[A-Za-z0-9]+$') OR "
                "split_part(\"originalPath\", '/', 6) <> substr(split_part(\"originalPath\", '/', "
                "8), 1, 2)")
                .int64(0, 0),
            0);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM asset_file WHERE path NOT LIKE '/srv/media/%'")
                .int64(0, 0),
            0);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM asset WHERE length(checksum) <> 20").int64(0, 0), 0);
  // Every tag has its self row in the closure; children point at their parents.
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM tag t WHERE NOT EXISTS (SELECT FROM tag_closure c "
                        "WHERE c.id_ancestor = t.id AND c.id_descendant = t.id)")
                .int64(0, 0),
            0);
  // Audit rows spread over 60 days: some old enough for AuditTableCleanup (31 days).
  auto ages = conn_->exec(
      "SELECT count(*) FILTER (WHERE \"deletedAt\" < '2026-06-01'::timestamptz - interval '31 "
      "days'), count(*) FILTER (WHERE \"deletedAt\" >= '2026-06-01'::timestamptz - interval '31 "
      "days') FROM asset_audit");
  EXPECT_GT(ages.int64(0, 0), 0);
  EXPECT_GT(ages.int64(0, 1), 0);
  EXPECT_GT(conn_->exec("SELECT count(*) FROM asset WHERE \"stackId\" IS NOT NULL").int64(0, 0), 0);
  EXPECT_GT(conn_->exec("SELECT count(*) FROM person WHERE \"faceAssetId\" IS NOT NULL").int64(0, 0), 0);
  // The schema is exactly as before: the drift check (`keepsake schema check`) stays clean.
  EXPECT_TRUE(schema::detect_drift(*conn_, schema::immich_schema()).empty());
}

TEST_F(SeederTest, SameSeedGivesTheSameDataAnotherSeedDoesNot) {
  seed_library(*conn_, options(300, 5), quiet());
  std::string first = digest(*conn_);
  std::string second_db = keepsake::testing::create_bootstrapped_database("seed2");
  std::string third_db = keepsake::testing::create_bootstrapped_database("seed3");
  {
    auto other = db::Connection::open(keepsake::testing::superuser_config(second_db));
    seed_library(*other, options(300, 5), quiet());
    EXPECT_EQ(digest(*other), first);
    auto third = db::Connection::open(keepsake::testing::superuser_config(third_db));
    seed_library(*third, options(300, 6), quiet());
    EXPECT_NE(digest(*third), first);
  }
  keepsake::testing::drop_database(second_db);
  keepsake::testing::drop_database(third_db);
}

TEST_F(SeederTest, RefusesALibraryThatAlreadyHasUsersAndChangesNothing) {
  SeedRunOptions live_indexes = quiet();
  live_indexes.rebuild_vector_indexes_from = 1000000;
  seed_library(*conn_, options(50), live_indexes);
  int64_t assets = count(*conn_, "asset");
  try {
    seed_library(*conn_, options(50, 99), quiet());
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_NE(std::string(e.what()).find("already holds users"), std::string::npos);
  }
  EXPECT_EQ(count(*conn_, "asset"), assets);
  EXPECT_EQ(count(*conn_, "user"), 3);
}

TEST_F(SeederTest, AFailureHalfwayRollsEverythingBack) {
  // A constraint the seeder's tag rows violate: the load fails after assets were sent.
  conn_->exec("ALTER TABLE tag ADD CONSTRAINT test_no_tags CHECK (false) NOT VALID");
  EXPECT_THROW(seed_library(*conn_, options(100), quiet()), Error);
  EXPECT_TRUE(conn_->healthy());
  EXPECT_EQ(count(*conn_, "user"), 0);
  EXPECT_EQ(count(*conn_, "asset"), 0);
  EXPECT_EQ(count(*conn_, "smart_search"), 0);
}

TEST_F(SeederTest, RebuildsTheVectorIndexesWithTheirExactDefinitions) {
  const char* q =
      "SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE indexname IN "
      "('clip_index', 'face_index')";
  std::string before = conn_->exec(q).text(0, 0);
  ASSERT_NE(before.find("hnsw"), std::string::npos);
  SeedReport report = seed_library(*conn_, options(120), quiet());
  EXPECT_TRUE(report.rebuilt_vector_indexes);
  EXPECT_EQ(conn_->exec(q).text(0, 0), before);
}

TEST_F(SeederTest, NoEmbeddingsLeavesTheSearchTablesEmptyAndTheRestAsWith) {
  const char* q =
      "SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE indexname IN "
      "('clip_index', 'face_index')";
  std::string indexes = conn_->exec(q).text(0, 0);
  SeedOptions o = options(150);
  o.embeddings = false;
  SeedReport report = seed_library(*conn_, o, quiet());
  EXPECT_FALSE(report.embeddings);
  EXPECT_FALSE(report.rebuilt_vector_indexes) << "no vectors, nothing to rebuild";
  EXPECT_EQ(count(*conn_, "smart_search"), 0);
  EXPECT_EQ(count(*conn_, "face_search"), 0);
  EXPECT_EQ(count(*conn_, "asset"), 150);
  EXPECT_GT(count(*conn_, "asset_face"), 0);
  EXPECT_EQ(conn_->exec(q).text(0, 0), indexes) << "the vector indexes are left as they were";
  for (const auto& [table, rows] : report.rows) {
    EXPECT_NE(table, "smart_search");
    EXPECT_NE(table, "face_search");
  }
  std::ostringstream printed;
  print_report(report, printed);
  EXPECT_NE(printed.str().find("embeddings: none"), std::string::npos) << printed.str();

  // Every other table holds exactly what a seed with embeddings gives.
  std::string with = keepsake::testing::create_bootstrapped_database("seed_with");
  {
    auto other = db::Connection::open(keepsake::testing::superuser_config(with));
    SeedReport full = seed_library(*other, options(150), quiet());
    std::vector<std::pair<std::string, int64_t>> expected;
    for (const auto& row : full.rows) {
      if (row.first != "smart_search" && row.first != "face_search") expected.push_back(row);
    }
    EXPECT_EQ(report.rows, expected);
    auto strip = [](std::string d) {  // the smart_search digest is the 5th
      size_t at = 0;
      for (int i = 0; i < 4; ++i) at = d.find(';', at) + 1;
      return d.erase(at, d.find(';', at) - at);
    };
    EXPECT_EQ(strip(digest(*conn_)), strip(digest(*other)));
    EXPECT_EQ(count(*other, "smart_search"), 150);
  }
  keepsake::testing::drop_database(with);
}

TEST_F(SeederTest, NoVectorIndexRebuildLeavesTheIndexesOutButLoadsTheEmbeddings) {
  SeedRunOptions run = quiet();
  run.rebuild_vector_indexes = false;
  SeedReport report = seed_library(*conn_, options(60), run);
  EXPECT_TRUE(report.dropped_vector_indexes);
  EXPECT_FALSE(report.rebuilt_vector_indexes);
  EXPECT_EQ(count(*conn_, "smart_search"), 60);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_indexes WHERE indexname IN ('clip_index', "
                        "'face_index')")
                .int64(0, 0),
            0);
}

TEST(SeederTargetTest, RefusesADatabaseWithoutTheImmichSchema) {
  std::string name = keepsake::testing::create_fresh_database("noschema");
  {
    auto conn = db::Connection::open(keepsake::testing::superuser_config(name));
    try {
      seed_library(*conn, options(10), quiet());
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("no Immich schema"), std::string::npos);
    }
    EXPECT_EQ(conn->exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").int64(0, 0), 0);
  }
  keepsake::testing::drop_database(name);
}

TEST_F(SeederTest, WritesOriginalFilesWhoseSha1IsTheChecksum) {
  keepsake::testing::TempDir media;
  SeedOptions o = options(40, 3, media.path());
  o.write_files = true;
  seed_library(*conn_, o, quiet());
  auto rows = conn_->exec("SELECT \"originalPath\", checksum FROM asset");
  ASSERT_EQ(rows.rows(), 40);
  for (int i = 0; i < rows.rows(); ++i) {
    std::ifstream in(rows.text(i, 0), std::ios::binary);
    ASSERT_TRUE(in) << rows.text(i, 0);
    std::stringstream content;
    content << in.rdbuf();
    std::string data = content.str();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(digest), len), rows.bytea(i, 1));
  }
}

// With --files every path a row holds has its file and every file written has its row.
TEST_F(SeederTest, WritesAFileForEveryPathTheRowsHold) {
  keepsake::testing::TempDir media;
  SeedOptions o = options(300, 3, media.path());
  o.write_files = true;
  SeedReport report = seed_library(*conn_, o, quiet());
  auto rows = conn_->exec(
      "SELECT \"originalPath\" FROM asset UNION ALL SELECT path FROM asset_file "
      "UNION ALL SELECT \"thumbnailPath\" FROM person WHERE \"thumbnailPath\" <> ''");
  std::set<std::string> paths;
  for (int i = 0; i < rows.rows(); ++i) {
    EXPECT_TRUE(std::filesystem::is_regular_file(rows.text(i, 0))) << rows.text(i, 0);
    paths.insert(rows.text(i, 0));
  }
  EXPECT_EQ(paths.size(), static_cast<size_t>(rows.rows())) << "no two rows share a path";
  EXPECT_EQ(report.files_written, rows.rows());
  int64_t on_disk = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(media.path())) {
    if (e.is_regular_file()) ++on_disk;
  }
  EXPECT_EQ(on_disk, rows.rows());
  // Sidecars beside the original, <original without extension>.xmp: every raw has one.
  auto sidecars = conn_->exec(
      "SELECT count(*), count(*) FILTER (WHERE f.path <> regexp_replace(a.\"originalPath\", "
      "'\\.[^.]+$', '.xmp')) FROM asset_file f JOIN asset a ON a.id = f.\"assetId\" "
      "WHERE f.type = 'sidecar'");
  EXPECT_GT(sidecars.int64(0, 0), 0);
  EXPECT_EQ(sidecars.int64(0, 1), 0);
  EXPECT_EQ(conn_
                ->exec("SELECT count(*) FROM asset a WHERE \"originalPath\" ~* "
                       "'\\.(cr2|arw|nef|raf|dng)$' AND NOT EXISTS (SELECT FROM asset_file f "
                       "WHERE f.\"assetId\" = a.id AND f.type = 'sidecar')")
                .int64(0, 0),
            0);
}

}  // namespace
}  // namespace keepsake::dev
