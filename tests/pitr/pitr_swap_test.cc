// `keepsake pitr restore` swapped into the live database, through the real binary: killed with
// -9 at two phases of the swap (the live database stays as it was), then restored to a time
// between t2 and t3 (exactly the t1 and t2 rows are live). One cluster and one archive for all
// three runs; each run recovers the archive (about 8 s under load), hence the test's length.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "harness/keepsake_process.h"
#include "migrations/boot.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

class PitrSwapTest : public keepsake::testing::PitrTest {
 protected:
  // The live database as Immich's, with an admin (a restore checks both).
  void make_immich_database() {
    conn_->exec_script("DROP TABLE items, kysely_migrations");
    migrations::run_database_boot(db_, migrations::BootOptions{});
    conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  }
  int64_t commit_user(const std::string& name) {
    conn_->exec(R"(INSERT INTO "user" (email, name) VALUES ($1 || '@example.com', $1))", {name});
    return conn_->exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").int64(0, 0);
  }
  std::vector<std::string> live_users() {
    auto conn = db::Connection::open(db_);
    auto r = conn->exec(R"(SELECT name FROM "user" WHERE NOT "isAdmin" ORDER BY "createdAt")");
    std::vector<std::string> names;
    for (int i = 0; i < r.rows(); ++i) names.push_back(r.text(i, 0));
    return names;
  }
};

TEST_F(PitrSwapTest, SwapsATimeIntoTheLiveDatabaseAndAKillAtAnyPhaseLeavesItAsItWas) {
  make_immich_database();
  std::string data_dir = dir_.path() + "/data";
  enable({.db = db_, .archive_dir = data_dir + "/pitr"});
  commit_user("t1");
  int64_t after_t2 = commit_user("t2");
  std::this_thread::sleep_for(50ms);
  commit_user("t3");
  conn_.reset();  // a client the restore could neither tell nor fence

  std::map<std::string, std::string> env = {
      {"KEEPSAKE_DATA_DIR", data_dir},
      {"IMMICH_MEDIA_LOCATION", dir_.path()},
      {"DB_URL", "postgresql://postgres@localhost/immich?host=" + pg_->socket_dir() + "&port=" + std::to_string(port_)}};
  std::vector<std::string> args = {"pitr", "restore", "--to", format_iso8601(after_t2), "--yes"};
  for (const char* point : {"scanned", "before-swap"}) {
    env["KEEPSAKE_FAULT"] = std::string("restore.") + point + ":kill";
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
    p.wait_exit(180);
    ASSERT_EQ(p.term_signal(), SIGKILL) << "not killed at " << point << ":\n" << p.stderr_text();
    EXPECT_THAT(live_users(), ElementsAre("t1", "t2", "t3")) << point;
  }
  env.erase("KEEPSAKE_FAULT");
  keepsake::testing::KeepsakeProcess p(env, dir_.path(), args);
  ASSERT_EQ(p.wait_exit(180), 0) << p.stderr_text();
  EXPECT_THAT(p.stdout_text(), HasSubstr("The previous database is kept as immich_before_restore_"));
  EXPECT_THAT(p.stdout_text(), HasSubstr("recovery stopping before commit"));
  EXPECT_THAT(live_users(), ElementsAre("t1", "t2"));
  // The killed runs' scratch clusters and this run's are gone; nothing of the dump is on disk.
  EXPECT_TRUE(fs::is_empty(data_dir + "/pitr/restore"));
  auto conn = db::Connection::open(db_);
  EXPECT_EQ(conn->exec("SELECT count(*) FROM pg_database WHERE datname LIKE 'immich_restore_%'").int64(0, 0), 0);
  EXPECT_EQ(conn->exec("SHOW default_transaction_read_only").text(0, 0), "off") << "the write fence was lifted";
}

}  // namespace
}  // namespace keepsake::pitr
