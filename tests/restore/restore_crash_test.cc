// `keepsake restore` killed (SIGKILL, like a power cut) at every step of both strategies: the live
// database's catalog and row counts are afterwards either exactly the old ones or exactly the
// restored ones, and the next start reports what happened and removes the unfinished copy.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "harness/other_client.h"
#include "restore/database_swap.h"
#include "restore/restore_fixture.h"
#include "restore/restore_service.h"

namespace keepsake::restore {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

struct Case {
  const char* strategy;
  const char* point;
  bool restored;  // the killed restore had already replaced the live database
};

// Catalog and counts, leaving out system_metadata: the restore's own bookkeeping (maintenance
// mode, its journal) lives there and is checked separately.
std::string fingerprint(const std::string& dbname) {
  std::string counts = keepsake::testing::row_counts(dbname);
  auto at = counts.find("public.system_metadata=");
  counts.erase(at, counts.find('\n', at) - at + 1);
  return keepsake::testing::catalog_json(dbname) + counts;
}

// What a new session of another client gets when it writes: "" or the SQLSTATE (rolled back).
std::string try_write(const std::string& dbname) {
  keepsake::testing::OtherClient c(keepsake::testing::superuser_config(dbname), "postgres.js");
  c.exec("BEGIN");
  std::string outcome = c.exec("INSERT INTO system_metadata (key, value) VALUES ('fence-probe', '{}')");
  c.exec("ROLLBACK");
  return outcome;
}

class RestoreCrashTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    media_ = new TempDir;
    fs::create_directories(backup::backups_folder(media_->path()));
    std::string source = keepsake::testing::create_bootstrapped_database("crashsrc");
    auto c = db::Connection::open(keepsake::testing::superuser_config(source));
    c->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true),
                                                                    ('restored@example.com', 'R', false))");
    backup::BackupOptions o;
    o.db = keepsake::testing::superuser_config(source);
    o.media_location = media_->path();
    file_ = new std::string(backup::create_backup(o).filename);
    c.reset();
    restored_ = fingerprint(source);
    keepsake::testing::drop_database(source);
  }
  static void TearDownTestSuite() {
    delete media_;
    delete file_;
  }

  static inline TempDir* media_ = nullptr;
  static inline std::string* file_ = nullptr;
  static inline std::string restored_;  // the fingerprint of the backed-up database
};

TEST_P(RestoreCrashTest, LiveDatabaseIsOldOrNewAndTheNextStartCleansUp) {
  const Case& c = GetParam();
  std::string live = keepsake::testing::create_bootstrapped_database("crash");
  {
    auto conn = db::Connection::open(keepsake::testing::superuser_config(live));
    conn->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true),
                                                                      ('old1@example.com', 'O', false),
                                                                      ('old2@example.com', 'O', false))");
  }
  std::string old_state = fingerprint(live);
  ASSERT_NE(old_state, restored_);
  TempDir work;
  std::map<std::string, std::string> env = {
      {"DB_URL", keepsake::testing::database_url(live)},
      {"IMMICH_MEDIA_LOCATION", media_->path()},
      {"KEEPSAKE_DATA_DIR", work.path() + "/data"},
      {"KEEPSAKE_FAULT", "restore." + std::string(c.point) + ":kill"}};
  keepsake::testing::KeepsakeProcess restore(env, work.path(),
                                             {"restore", *file_, "--yes", "--strategy", c.strategy});
  restore.wait_exit(300);
  ASSERT_EQ(restore.term_signal(), SIGKILL) << "the restore was not killed at " << c.point << ":\n"
                                            << restore.stderr_text();

  std::string after = fingerprint(live);
  EXPECT_EQ(after, c.restored ? restored_ : old_state) << c.point;
  bool fenced = std::string(c.point) != "scanned" && std::string(c.point) != "after-swap";
  EXPECT_EQ(try_write(live), fenced ? "25006" : "") << "the write fence, killed at " << c.point;

  auto report = recover_restores(keepsake::testing::superuser_config(live), 7);
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  for (auto& d : find_restore_databases(*admin, live)) EXPECT_FALSE(d.scratch) << d.name;
  if (std::string(c.strategy) == "beside" && std::string(c.point) == "after-swap") {
    EXPECT_EQ(report.completed_file, *file_);
  } else if (std::string(c.strategy) == "beside" && std::string(c.point) != "scanned") {
    EXPECT_EQ(report.interrupted_file, *file_) << ::testing::PrintToString(report.messages);
  }
  EXPECT_EQ(fingerprint(live), after);  // recovery never changes the live database
  EXPECT_EQ(try_write(live), "") << "the fence was not lifted after a kill at " << c.point;
  for (auto& d : find_restore_databases(*admin, live)) drop_restore_database(*admin, live, d.name);
  keepsake::testing::drop_database(live);
}

INSTANTIATE_TEST_SUITE_P(
    Points, RestoreCrashTest,
    ::testing::Values(Case{"beside", "scanned", false}, Case{"beside", "scratch-created", false},
                      Case{"beside", "schema", false}, Case{"beside", "data", false},
                      Case{"beside", "indexes", false}, Case{"beside", "loaded", false},
                      Case{"beside", "migrated", false}, Case{"beside", "before-swap", false},
                      Case{"beside", "after-swap", true}, Case{"in-place", "restore-point", false},
                      Case{"in-place", "loaded", false}, Case{"in-place", "committed", true}),
    [](const auto& info) {
      std::string name = std::string(info.param.strategy) + "_" + info.param.point;
      for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

}  // namespace
}  // namespace keepsake::restore
