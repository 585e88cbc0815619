// Restores that either fully replace the live library or leave it untouched: Keepsake backups,
// Immich's `pg_dump | gzip`, a pg_dumpall cluster dump with an old-style name, both strategies,
// and every kind of bad file, each checked against the live database's catalog and row counts.
#include "restore/restore_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "common/error.h"
#include "db/system_metadata.h"
#include "harness/bootstrapped_database.h"
#include "migrations/boot.h"
#include "restore/database_swap.h"
#include "restore/dump_scan.h"
#include "restore/restore_fixture.h"

namespace keepsake::restore {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::catalog_json;
using keepsake::testing::row_counts;
using keepsake::testing::TempDir;

class RestoreServiceTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    conn_->exec(R"(INSERT INTO "user" (id, email, name, "isAdmin") VALUES
                   ('00000000-0000-4000-8000-000000000001', 'admin@example.com', 'Admin', true))");
    add_assets(3);
    fs::create_directories(backup::backups_folder(media_.path()));
  }
  void TearDown() override {
    conn_.reset();
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    for (auto& d : find_restore_databases(*admin, db_name_)) drop_restore_database(*admin, db_name_, d.name);
    BootstrappedDatabaseTest::TearDown();
  }

  void add_assets(int n) {
    for (int i = 0; i < n; ++i) {
      conn_->exec(R"(INSERT INTO asset ("ownerId", "deviceAssetId", "deviceId", type, "originalPath",
                     "fileCreatedAt", "fileModifiedAt", "localDateTime", checksum, "originalFileName", "checksumAlgorithm")
                     VALUES ('00000000-0000-4000-8000-000000000001', 'd', 'dev', 'IMAGE', $1::text, now(), now(), now(),
                             decode(md5($1::text), 'hex'), 'a.jpg', 'sha1'))",
                  {"/media/upload/" + std::to_string(next_asset_++) + ".jpg"});
    }
  }
  std::string folder() const { return backup::backups_folder(media_.path()); }
  std::string keepsake_backup() {
    backup::BackupOptions o;
    o.db = db_config_;
    o.media_location = media_.path();
    return backup::create_backup(o).filename;
  }
  RestoreOptions options(const std::string& file, RestoreStrategy strategy = RestoreStrategy::kAuto) {
    RestoreOptions o;
    o.config = keepsake::testing::config_for(db_name_);
    o.config.media_location = media_.path();
    o.filename = file;
    o.strategy = strategy;
    o.progress = [this](const RestoreProgress& p) { tasks_.push_back(p.task); last_progress_ = p.progress; };
    return o;
  }
  struct State {
    std::string catalog, counts;
    bool operator==(const State& o) const { return catalog == o.catalog && counts == o.counts; }
  };
  State state() { return {catalog_json(db_name_), row_counts(db_name_)}; }
  void expect_state(const State& expected) {
    State now = state();
    EXPECT_EQ(now.counts, expected.counts);
    if (now.catalog != expected.catalog) {
      auto diff = nlohmann::json::diff(nlohmann::json::parse(expected.catalog), nlohmann::json::parse(now.catalog));
      ADD_FAILURE() << "catalog differs: " << diff.dump().substr(0, 3000);
    }
  }
  std::string database_settings() {
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    return admin->exec("SELECT coalesce(array_to_string(setconfig, ';'), '') FROM pg_db_role_setting s "
                       "JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 AND s.setrole = 0",
                       {db_name_}).text(0, 0);
  }
  void expect_refused(const std::string& file, const std::string& message, RestoreStrategy s = RestoreStrategy::kAuto) {
    conn_.reset();
    State before = state();
    try {
      restore_database(options(file, s));
      ADD_FAILURE() << "the restore of " << file << " succeeded";
    } catch (const Error& e) {
      EXPECT_NE(e.full_message().find(message), std::string::npos) << e.full_message();
    }
    EXPECT_TRUE(state() == before) << file;
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    for (auto& d : find_restore_databases(*admin, db_name_)) EXPECT_FALSE(d.scratch) << d.name;
    conn_ = db::Connection::open(db_config_);
  }

  TempDir media_;
  int next_asset_ = 0;
  std::vector<std::string> tasks_;
  double last_progress_ = 0;
};

TEST_F(RestoreServiceTest, KeepsakeBackupRestoresBesideAndKeepsThePreviousDatabase) {
  std::string file = keepsake_backup();
  conn_.reset();
  State backed_up = state();
  std::string settings = database_settings();
  EXPECT_NE(settings.find("search_path"), std::string::npos);
  conn_ = db::Connection::open(db_config_);
  add_assets(5);
  conn_->exec("DELETE FROM system_metadata");
  conn_.reset();
  State changed = state();
  ASSERT_FALSE(changed == backed_up);

  auto result = restore_database(options(file));
  EXPECT_EQ(result.strategy, RestoreStrategy::kBeside);
  expect_state(backed_up);
  EXPECT_EQ(database_settings(), settings);
  EXPECT_EQ(last_progress_, 1.0);
  for (const char* task : {"restore", "migrations", "swap"}) {
    EXPECT_NE(std::find(tasks_.begin(), tasks_.end(), task), tasks_.end()) << task;
  }
  // The replaced database is kept, as it was.
  ASSERT_FALSE(result.previous_database.empty());
  EXPECT_EQ(row_counts(result.previous_database), changed.counts);
  EXPECT_FALSE(db::SystemMetadataRepository(*db::Connection::open(db_config_)).get(kRestoreJournalKey));
  // cleanup drops it.
  auto dropped = cleanup_restore_databases(db_config_);
  EXPECT_EQ(dropped, std::vector<std::string>{result.previous_database});
}

TEST_F(RestoreServiceTest, TablesCutIntoPiecesAtGzipMembersLoadCompletely) {
  add_assets(80);
  std::string file = keepsake_backup();
  keepsake::testing::rewrite_dump(folder() + "/" + file, 2048);
  auto plan = scan_dump(folder() + "/" + file);
  auto asset = std::find_if(plan.items.begin(), plan.items.end(), [](auto& i) { return i.table == "public.asset"; });
  ASSERT_NE(asset, plan.items.end());
  int cuts = 0;
  for (auto& point : plan.seek_points) {
    cuts += point.line_start && point.sql_offset > asset->copy.data_begin && point.sql_offset < asset->copy.data_end;
  }
  EXPECT_GE(cuts, 5);
  auto assets_digest = [this] {
    return db::Connection::open(db_config_)
        ->exec("SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM asset a").text(0, 0);
  };
  std::string digest = assets_digest();
  conn_.reset();
  State backed_up = state();
  conn_ = db::Connection::open(db_config_);
  add_assets(3);
  conn_.reset();

  restore_database(options(file));
  expect_state(backed_up);
  EXPECT_EQ(assets_digest(), digest);
}

TEST_F(RestoreServiceTest, ImmichStyleBackupRestores) {
  std::string file = "immich-db-backup-20260101T020000-v2.7.5-pg15.20.sql.gz";
  keepsake::testing::immich_style_backup(db_name_, folder() + "/" + file);
  conn_.reset();
  State backed_up = state();
  conn_ = db::Connection::open(db_config_);
  add_assets(2);
  conn_.reset();
  restore_database(options(file));
  expect_state(backed_up);
}

TEST_F(RestoreServiceTest, ClusterDumpWithAnOldStyleNameRestores) {
  std::string file = "immich-db-backup-20251001T020000-v2.4.1-pg15.20.sql.gz";
  keepsake::testing::cluster_dump(db_name_, folder() + "/" + file);
  conn_.reset();
  State backed_up = state();
  conn_ = db::Connection::open(db_config_);
  add_assets(4);
  conn_.reset();
  auto result = restore_database(options(file));
  EXPECT_EQ(result.kind, DumpKind::kCluster);
  expect_state(backed_up);
}

TEST_F(RestoreServiceTest, InPlaceRestoreMakesARestorePointAndReplacesEverything) {
  std::string file = keepsake_backup();
  conn_.reset();
  State backed_up = state();
  conn_ = db::Connection::open(db_config_);
  add_assets(3);
  conn_->exec("CREATE TABLE public.added_later (id int)");  // not in the backup: must go
  conn_.reset();
  auto result = restore_database(options(file, RestoreStrategy::kInPlace));
  EXPECT_EQ(result.strategy, RestoreStrategy::kInPlace);
  expect_state(backed_up);
  EXPECT_EQ(result.restore_point.rfind("restore-point-immich-db-backup-", 0), 0u) << result.restore_point;
  EXPECT_TRUE(fs::exists(folder() + "/" + result.restore_point));
  EXPECT_NE(std::find(tasks_.begin(), tasks_.end(), "backup"), tasks_.end());
}

// A backup without the two vector indexes (they are rebuilt in the background after the next
// start) still restores; any other missing index keeps the live database as it was.
TEST_F(RestoreServiceTest, MissingVectorIndexesAreToleratedButOtherDriftIsRefused) {
  conn_->exec("DROP INDEX clip_index");
  conn_->exec("DROP INDEX face_index");
  std::string without_vectors = keepsake_backup();
  conn_->exec("DROP INDEX \"asset_localDateTime_idx\"");
  std::string drifted = "immich-db-backup-20260101T030000-v2.7.5-pg15.20.sql.gz";
  keepsake::testing::immich_style_backup(db_name_, folder() + "/" + drifted);
  conn_->exec("CREATE INDEX \"asset_localDateTime_idx\" ON public.asset "
              "((((\"localDateTime\" AT TIME ZONE 'UTC'::text))::date))");
  expect_refused(drifted, "index \"asset_localDateTime_idx\" is missing");

  conn_.reset();
  State before = state();
  restore_database(options(without_vectors));
  expect_state(before);
  auto conn = db::Connection::open(db_config_);
  EXPECT_TRUE(conn->exec("SELECT to_regclass('public.clip_index') IS NULL").boolean(0, 0));
}

TEST_F(RestoreServiceTest, VectorIndexDefinedOtherwiseIsTolerated) {
  conn_->exec("DROP INDEX clip_index");
  conn_->exec("CREATE INDEX clip_index ON public.smart_search USING hnsw (embedding vector_cosine_ops) WITH (m = 8)");
  std::string file = keepsake_backup();
  conn_.reset();
  State before = state();
  restore_database(options(file));
  expect_state(before);
}

TEST_F(RestoreServiceTest, HostileAndDamagedFilesAreRefusedAndTheLiveDatabaseIsUnchanged) {
  std::string good = keepsake_backup();
  std::string bytes;
  {
    std::ifstream in(folder() + "/" + good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& data) {
    std::ofstream(folder() + "/" + name, std::ios::binary | std::ios::trunc) << data;
    return name;
  };
  std::string marker = media_.path() + "/pwned";
  expect_refused(write("shell.sql", keepsake::testing::minimal_dump("SELECT 1;\n\\! touch " + marker + "\n")),
                 "meta-command \\!");
  EXPECT_FALSE(fs::exists(marker));
  expect_refused(write("truncated.sql.gz", bytes.substr(0, bytes.size() * 2 / 3)), "truncated");
  std::string crc = bytes;
  crc[crc.size() - 6] ^= 0x20;
  expect_refused(write("badcrc.sql.gz", crc), "CRC");
  expect_refused("../etc/passwd", "Invalid backup name");
  expect_refused("missing.sql.gz", "");

  // A dump that fails half way: valid up to a COPY row the table refuses, beside and in place.
  std::string sql = keepsake::testing::minimal_dump(
      "CREATE TABLE public.half (id integer NOT NULL);\n"
      "COPY public.half (id) FROM stdin;\n1\n2\nnot-a-number\n\\.\n");
  write("halfway.sql", sql);
  expect_refused("halfway.sql", "invalid input syntax for type integer", RestoreStrategy::kBeside);
  expect_refused("halfway.sql", "invalid input syntax for type integer", RestoreStrategy::kInPlace);
  // A loadable dump that is not Immich's (no admin, no Immich schema) never goes live.
  write("foreign.sql", keepsake::testing::minimal_dump("CREATE TABLE public.other (id integer);\n"));
  expect_refused("foreign.sql", "", RestoreStrategy::kBeside);
  expect_refused("foreign.sql", "", RestoreStrategy::kInPlace);
}

TEST_F(RestoreServiceTest, RecoveryRemovesAnInterruptedScratchDatabaseAndCompletesASwappedJournal) {
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  auto names = restore_names(db_name_, std::chrono::system_clock::now() - std::chrono::hours(1));
  create_scratch_database(*admin, db_name_, names.scratch);
  admin->exec("COMMENT ON DATABASE " + db::quote_ident(names.scratch) + " IS 'keepsake restore of x.sql.gz'");
  auto old = restore_names(db_name_, std::chrono::system_clock::now() - std::chrono::hours(24 * 10));
  admin->exec("CREATE DATABASE " + db::quote_ident(old.previous));
  db::SystemMetadataRepository(*conn_).upsert(kRestoreJournalKey,
                                              {{"status", "swapping"}, {"file", "y.sql.gz"}, {"previous", "p"}});
  auto report = recover_restores(db_config_, 7);
  EXPECT_EQ(report.interrupted_file, "x.sql.gz");
  EXPECT_EQ(report.completed_file, "y.sql.gz");
  EXPECT_EQ(report.messages.size(), 3u) << ::testing::PrintToString(report.messages);
  EXPECT_TRUE(find_restore_databases(*admin, db_name_).empty());
  EXPECT_FALSE(db::SystemMetadataRepository(*conn_).get(kRestoreJournalKey));
}

TEST(RestoreNamesTest, SuffixesSurviveLongNames) {
  auto when = *parse_stamp("20261201T101500");
  auto n = restore_names("immich", when);
  EXPECT_EQ(n.scratch, "immich_restore_20261201T101500");
  EXPECT_EQ(n.previous, "immich_before_restore_20261201T101500");
  auto long_names = restore_names(std::string(63, 'x'), when);
  EXPECT_EQ(long_names.previous.size(), 63u);
  EXPECT_EQ(long_names.previous.substr(long_names.previous.size() - 31), "_before_restore_20261201T101500");
  EXPECT_FALSE(parse_stamp("2026-12-01"));
}

}  // namespace
}  // namespace keepsake::restore

namespace keepsake::restore {
namespace {

// A role that owns its database but may not create databases (nor create earthdistance or
// vector, which a superuser installed for it) restores in place, keeping the extensions.
TEST(RestoreOwnerRoleTest, RoleWithoutCreatedbRestoresInPlace) {
  TempDir media;
  auto owned = keepsake::testing::create_owned_database("owned", media.path());
  const Config& config = owned.config;
  auto conn = db::Connection::open(config.db);
  conn->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  backup::BackupOptions b;
  b.db = config.db;
  b.media_location = media.path();
  auto file = backup::create_backup(b).filename;
  conn->exec(R"(INSERT INTO "user" (email, name) VALUES ('later@example.com', 'Later'))");
  conn.reset();

  RestoreOptions o;
  o.config = config;
  o.filename = file;
  auto result = restore_database(o);
  EXPECT_EQ(result.strategy, RestoreStrategy::kInPlace);
  conn = db::Connection::open(config.db);
  EXPECT_EQ(conn->exec(R"(SELECT string_agg(email, ',') FROM "user")").text(0, 0), "admin@example.com");
  EXPECT_EQ(conn->exec("SELECT count(*) FROM pg_extension WHERE extname IN ('earthdistance', 'vector')").int64(0, 0), 2);
  EXPECT_FALSE(result.notes.empty());  // the extension statements it may not run were skipped, and said so
  conn.reset();
  keepsake::testing::drop_owned_database(owned);
}

}  // namespace
}  // namespace keepsake::restore
