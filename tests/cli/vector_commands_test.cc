// `keepsake vector status|reindex|set-dimension` and `keepsake doctor` as real processes on a
// seeded pgvector database: what they print, what they change, and that doctor changes nothing.
#include <gtest/gtest.h>

#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "harness/other_client.h"

namespace keepsake {
namespace {

struct CommandResult {
  int code;
  std::string out, err;
};

class VectorCommandsTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  CommandResult run(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {
        {"DB_URL", keepsake::testing::database_url(db_name_)},
        {"IMMICH_MEDIA_LOCATION", dir_.path()}};
    for (auto& [key, value] : extra) env[key] = value;
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), std::move(args));
    int code = p.wait_exit();
    return {code, p.stdout_text(), p.stderr_text()};
  }
  void seed(int assets) {
    auto r = run({"dev", "seed", "--assets", std::to_string(assets), "--users", "1", "--no-progress"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  int64_t count(const std::string& table) {
    return conn_->exec("SELECT count(*) FROM " + table).int64(0, 0);
  }
  std::string column_type(const std::string& table) {
    return conn_->exec("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                       "WHERE attrelid = $1::regclass AND attname = 'embedding'", {table})
        .text(0, 0);
  }
  std::string index_oid(const std::string& name) {
    auto r = conn_->exec("SELECT to_regclass($1)::oid::text", {name});
    return r.is_null(0, 0) ? "" : r.text(0, 0);
  }
  // Everything doctor could touch: extensions, vector indexes, rows, Keepsake's schema.
  std::string catalog_fingerprint() {
    return conn_->exec(
                    "SELECT (SELECT string_agg(extname || ' ' || extversion, ',' ORDER BY extname) FROM pg_extension) "
                    "|| '|' || (SELECT string_agg(indexname || ' ' || indexdef, ',' ORDER BY indexname) FROM pg_indexes "
                    "           WHERE tablename IN ('smart_search', 'face_search')) "
                    "|| '|' || (SELECT count(*) FROM smart_search) || '|' || (SELECT count(*) FROM face_search) "
                    "|| '|' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "           WHERE n.nspname = 'keepsake')")
        .text(0, 0);
  }
  keepsake::testing::TempDir dir_;
};

TEST_F(VectorCommandsTest, StatusShowsTheExtensionTheIndexesAndTheirRows) {
  seed(30);
  auto r = run({"vector", "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("extension: vector (pgvector)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("clip_index: 30 rows in smart_search, dimension 512"), std::string::npos) << r.out;
  std::string faces = std::to_string(count("face_search"));
  EXPECT_NE(r.out.find("face_index: " + faces + " rows in face_search, dimension 512"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("USING hnsw (embedding vector_cosine_ops)"), std::string::npos) << r.out;
}

TEST_F(VectorCommandsTest, ReindexRebuildsOnlyTheIndexAskedFor) {
  seed(20);
  std::string clip = index_oid("clip_index"), face = index_oid("face_index");
  auto r = run({"vector", "reindex", "--index", "face_index"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Reindexed face_index"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("clip_index"), std::string::npos) << r.out;
  EXPECT_EQ(index_oid("clip_index"), clip);
  EXPECT_NE(index_oid("face_index"), face);
  EXPECT_NE(index_oid("face_index"), "");
  EXPECT_EQ(count("smart_search"), 20);

  auto bad = run({"vector", "reindex", "--index", "people_index"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("people_index"), std::string::npos) << bad.err;
  EXPECT_NE(index_oid("face_index"), "");
}

TEST_F(VectorCommandsTest, SetDimensionEmptiesRetypesAndReindexesSmartSearch) {
  seed(20);
  int64_t faces = count("face_search");
  auto r = run({"vector", "set-dimension", "768"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("smart_search: dimension 512 -> 768"), std::string::npos) << r.out;
  EXPECT_EQ(count("smart_search"), 0);
  EXPECT_EQ(column_type("smart_search"), "vector(768)");
  EXPECT_NE(index_oid("clip_index"), "");
  EXPECT_EQ(count("face_search"), faces);  // faces keep their own dimension and rows
  EXPECT_EQ(column_type("face_search"), "vector(512)");
  EXPECT_NE(run({"vector", "status"}).out.find("clip_index: 0 rows in smart_search, dimension 768"),
            std::string::npos);
}

TEST_F(VectorCommandsTest, DoctorReportsAndNeverChangesTheDatabase) {
  seed(10);
  std::string before = catalog_fingerprint();
  keepsake::testing::OtherClient immich(db_config_, "postgres.js"), tool(db_config_, "some-tool");
  auto ok = run({"doctor"});
  EXPECT_NE(ok.out.find("ok    other client: immich  postgres.js  local socket  since "), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("ok    other client: unknown  some-tool  local socket  since "), std::string::npos) << ok.out;
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("ok    PostgreSQL 15"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("vector extension: pgvector (auto-detected)"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("pgvector is up to date"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("doctor found no problems"), std::string::npos) << ok.out;

  // VectorChord is not installable here: doctor says so, with its exit code, and creates nothing.
  auto bad = run({"doctor"}, {{"DB_VECTOR_EXTENSION", "vectorchord"}});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("ERROR The VectorChord extension is not available in this Postgres instance."),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("doctor found problems"), std::string::npos) << bad.out;
  EXPECT_EQ(catalog_fingerprint(), before);
}

// An external cluster reached by a role without REPLICATION: doctor says what PITR needs.
TEST_F(VectorCommandsTest, DoctorSaysWhatPitrNeedsOnAnExternalCluster) {
  std::string role = "no_replication_" + db_name_;
  conn_->exec("CREATE ROLE " + db::quote_ident(role) + " LOGIN PASSWORD 'pw-not-logged'");
  conn_->exec("GRANT ALL ON DATABASE " + db::quote_ident(db_name_) + " TO " + db::quote_ident(role));
  auto r = run({"doctor"}, {{"DB_URL", "postgresql://" + role + ":pw-not-logged@127.0.0.1:" +
                                           keepsake::testing::superuser_config().port + "/" + db_name_}});
  conn_->exec("REASSIGN OWNED BY " + db::quote_ident(role) + " TO postgres");
  conn_->exec("DROP OWNED BY " + db::quote_ident(role));
  conn_->exec("DROP ROLE " + db::quote_ident(role));
  EXPECT_NE(r.out.find("WARN  PITR needs: ALTER ROLE \"" + role + "\" WITH REPLICATION;"), std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.out.find("PITR recommends: GRANT EXECUTE ON FUNCTION pg_create_restore_point(text)"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("pw-not-logged"), std::string::npos);
}

}  // namespace
}  // namespace keepsake
