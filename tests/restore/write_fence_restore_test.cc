// Beside a running client: a second client writes uniquely labelled albums in a tight loop on its
// own libpq connection while the real `keepsake restore` runs (beside and in place). Every write
// it was told succeeded is afterwards either in the final database (acknowledged after the fence
// was lifted) or in what the restore replaced (the kept previous database, or the restore-point
// backup), and none was acknowledged while the fence was up; the fence refused writes. Also: the
// fence is lifted after a kill -9 mid-restore and after a failing restore, and a restore that finds
// a writer it can neither tell nor fence stops before touching anything, unless --force.
#include <gtest/gtest.h>
#include <signal.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>
#include <unordered_set>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "common/error.h"
#include "db/write_fence.h"
#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "harness/other_client.h"
#include "restore/database_swap.h"
#include "restore/restore_fixture.h"
#include "restore/restore_service.h"

namespace keepsake::restore {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::KeepsakeProcess;
using keepsake::testing::OtherClient;
using keepsake::testing::TempDir;
using keepsake::testing::WriterLoop;
using namespace std::chrono_literals;

constexpr const char* kAdminId = "00000000-0000-4000-8000-00000000a001";

std::string insert_album_sql() {
  return std::string(R"(INSERT INTO album ("ownerId", "albumName") VALUES (')") + kAdminId + "', $1)";
}

std::set<std::string> album_names(const std::string& dbname) {
  auto c = db::Connection::open(keepsake::testing::superuser_config(dbname));
  auto r = c->exec(R"(SELECT "albumName" FROM album)");
  std::set<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.insert(r.text(i, 0));
  return out;
}

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// Every tab- or line-separated field of a dump (its COPY rows' values), to look labels up at once:
// searching the whole dump once per write took most of this test's time.
std::unordered_set<std::string> fields_of(const std::string& dump) {
  std::unordered_set<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= dump.size(); ++i) {
    if (i < dump.size() && dump[i] != '\t' && dump[i] != '\n') continue;
    out.emplace(dump, start, i - start);
    start = i + 1;
  }
  return out;
}

bool accepts_writes(const std::string& dbname) {
  OtherClient c(keepsake::testing::superuser_config(dbname), "postgres.js");
  return c.exec(insert_album_sql(), {"probe-" + std::to_string(c.pid())}) == "";
}

class WriteFenceRestoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    media_ = new TempDir;
    fs::create_directories(backup::backups_folder(media_->path()));
    std::string source = keepsake::testing::create_bootstrapped_database("fencesrc");
    {
      auto c = db::Connection::open(keepsake::testing::superuser_config(source));
      add_admin(*c);
      c->exec(R"(INSERT INTO album ("ownerId", "albumName") VALUES ($1, 'from-the-backup'))", {kAdminId});
    }
    backup::BackupOptions o;
    o.db = keepsake::testing::superuser_config(source);
    o.media_location = media_->path();
    file_ = new std::string(backup::create_backup(o).filename);
    keepsake::testing::drop_database(source);
  }
  static void TearDownTestSuite() {
    delete media_;
    delete file_;
  }
  static void add_admin(db::Connection& c) {
    c.exec(R"(INSERT INTO "user" (id, email, name, "isAdmin") VALUES ($1, 'admin@example.com', 'Admin', true))",
           {kAdminId});
  }

  void SetUp() override {
    live_ = keepsake::testing::create_bootstrapped_database("fence");
    auto c = db::Connection::open(keepsake::testing::superuser_config(live_));
    add_admin(*c);
  }
  void TearDown() override {
    auto admin = db::Connection::open(keepsake::testing::superuser_config());
    for (auto& d : find_restore_databases(*admin, live_)) drop_restore_database(*admin, live_, d.name);
    keepsake::testing::drop_database(live_);
  }

  std::map<std::string, std::string> env(const std::string& db_url) {
    return {{"DB_URL", db_url}, {"IMMICH_MEDIA_LOCATION", media_->path()}, {"KEEPSAKE_DATA_DIR", work_.path() + "/data"}};
  }
  std::map<std::string, std::string> env() { return env(keepsake::testing::database_url(live_)); }

  // Runs `keepsake restore` while a writer loops; returns the writer (stopped) and the restore's stdout.
  std::unique_ptr<WriterLoop> restore_under_load(const std::string& strategy, std::string& out) {
    auto writer = std::make_unique<WriterLoop>(keepsake::testing::superuser_config(live_), "postgres.js",
                                               insert_album_sql(), "w");
    std::this_thread::sleep_for(300ms);
    KeepsakeProcess restore(env(), work_.path(), {"restore", *file_, "--yes", "--strategy", strategy});
    EXPECT_EQ(restore.wait_exit(300), 0) << restore.stderr_text();
    std::this_thread::sleep_for(500ms);
    writer->stop();
    out = restore.stdout_text();
    return writer;
  }

  // Every acknowledged write is in `before` or in `after`; those in `before` precede the first
  // refusal, those in `after` follow the last one: none was acknowledged while the fence was up.
  void expect_no_write_lost(const WriterLoop& w, const std::function<bool(const std::string&)>& before,
                            const std::set<std::string>& after) {
    ASSERT_FALSE(w.refused_read_only.empty()) << "the fence refused no write";
    int first = w.refused_read_only.front(), last = w.refused_read_only.back();
    int in_before = 0, in_after = 0;
    for (int n : w.acknowledged) {
      bool b = before(w.label(n)), a = after.count(w.label(n)) > 0;
      EXPECT_TRUE(a || b) << "acknowledged write " << w.label(n) << " was lost";
      EXPECT_FALSE(n > first && n < last) << "write " << n << " was acknowledged while the fence was up";
      if (b) EXPECT_LT(n, first) << w.label(n);
      if (a) EXPECT_GT(n, last) << w.label(n);
      in_before += b;
      in_after += a;
    }
    EXPECT_GT(in_before, 0);
    EXPECT_GT(in_after, 0);
    std::cout << "acknowledged " << w.acknowledged.size() << " (" << in_before << " before the fence, " << in_after
              << " after), refused by the fence " << w.refused_read_only.size() << ", other errors "
              << w.failed.size() << "\n";
  }

  static inline TempDir* media_ = nullptr;
  static inline std::string* file_ = nullptr;
  std::string live_;
  TempDir work_;
};

TEST_F(WriteFenceRestoreTest, BesideNoAcknowledgedWriteIsLost) {
  std::string out;
  auto writer = restore_under_load("beside", out);
  auto admin = db::Connection::open(keepsake::testing::superuser_config());
  auto kept = find_restore_databases(*admin, live_);
  ASSERT_EQ(kept.size(), 1u);
  auto previous = album_names(kept[0].name);
  auto final_names = album_names(live_);
  EXPECT_TRUE(final_names.count("from-the-backup"));
  expect_no_write_lost(*writer, [&](const std::string& l) { return previous.count(l) > 0; }, final_names);
  EXPECT_TRUE(accepts_writes(live_));
  EXPECT_TRUE(accepts_writes(kept[0].name));  // the fence went with the previous database, and was lifted there
}

TEST_F(WriteFenceRestoreTest, InPlaceNoAcknowledgedWriteIsLost) {
  std::string out;
  auto writer = restore_under_load("in-place", out);
  auto at = out.find("Restore point: ");
  ASSERT_NE(at, std::string::npos) << out;
  std::string point = out.substr(at + 15, out.find('\n', at) - at - 15);
  auto dumped = fields_of(gunzip(backup::backups_folder(media_->path()) + "/" + point));
  fs::remove(backup::backups_folder(media_->path()) + "/" + point);
  auto final_names = album_names(live_);
  EXPECT_TRUE(final_names.count("from-the-backup"));
  expect_no_write_lost(*writer, [&](const std::string& l) { return dumped.count(l) > 0; }, final_names);
  EXPECT_TRUE(accepts_writes(live_));
}

TEST_F(WriteFenceRestoreTest, KilledMidRestoreTheNextCommandLiftsTheFence) {
  auto e = env();
  e["KEEPSAKE_FAULT"] = "restore.scratch-created:kill";
  KeepsakeProcess restore(e, work_.path(), {"restore", *file_, "--yes", "--strategy", "beside"});
  restore.wait_exit(300);
  ASSERT_EQ(restore.term_signal(), SIGKILL) << restore.stderr_text();
  OtherClient during(keepsake::testing::superuser_config(live_), "postgres.js");
  EXPECT_EQ(during.exec("SELECT count(*) FROM album"), "");
  EXPECT_EQ(during.exec(insert_album_sql(), {"while-fenced"}), "25006");

  KeepsakeProcess status(env(), work_.path(), {"maintenance", "status"});
  EXPECT_EQ(status.wait_exit(60), 0) << status.stderr_text();
  EXPECT_NE(status.stderr_text().find("lifted the write fence"), std::string::npos) << status.stderr_text();
  EXPECT_NE(status.stdout_text().find("Other clients of " + live_ + ": none"), std::string::npos) << status.stdout_text();
  EXPECT_EQ(during.exec("SELECT 1"), "connection");  // read-only since the fence: ended by the lift
  OtherClient after(keepsake::testing::superuser_config(live_), "postgres.js");
  EXPECT_EQ(after.exec(insert_album_sql(), {"after-the-lift"}), "");
}

TEST_F(WriteFenceRestoreTest, AFailingRestoreLiftsTheFence) {
  RestoreOptions o;
  o.config = keepsake::testing::config_for(live_);
  o.config.media_location = media_->path();
  o.filename = *file_;
  o.prepare_restored = [](db::Connection&) { throw Error(ErrorKind::kInternal, "failing on purpose"); };
  for (auto strategy : {RestoreStrategy::kBeside, RestoreStrategy::kInPlace}) {
    o.strategy = strategy;
    EXPECT_THROW(restore_database(o), Error);
    EXPECT_FALSE(db::write_fence_held_here());
    OtherClient after(keepsake::testing::superuser_config(live_), "postgres.js");
    EXPECT_EQ(after.exec(insert_album_sql(), {std::string("after-failure-") + strategy_name(strategy)}), "");
  }
  for (auto& f : fs::directory_iterator(backup::backups_folder(media_->path()))) {
    if (f.path().filename().string().rfind("restore-point-", 0) == 0) fs::remove(f.path());
  }
}

TEST_F(WriteFenceRestoreTest, AWriterItCanNeitherTellNorFenceStopsTheRestoreUnlessForced) {
  keepsake::testing::drop_database(live_);
  auto owned = keepsake::testing::create_owned_database("fenceowned", media_->path());
  live_ = owned.name;
  const Config& config = owned.config;
  add_admin(*db::Connection::open(config.db));
  const auto& cluster = keepsake::testing::cluster();
  std::string url = "postgresql://" + owned.role + ":owner-pw@127.0.0.1:" + std::to_string(cluster.port) + "/" + live_;
  OtherClient unknown(keepsake::testing::superuser_config(live_), "some-tool");  // a superuser's: the owner may not end it
  ASSERT_TRUE(unknown.connected());
  auto maintenance_rows = db::Connection::open(config.db)
                              ->exec("SELECT count(*) FROM system_metadata WHERE key = 'maintenance-mode'")
                              .int64(0, 0);

  KeepsakeProcess refused(env(url), work_.path(), {"restore", *file_, "--yes"});
  EXPECT_NE(refused.wait_exit(120), 0);
  std::string err = refused.stderr_text();
  EXPECT_NE(err.find("neither tell"), std::string::npos) << err;
  EXPECT_NE(err.find("some-tool"), std::string::npos) << err;
  EXPECT_NE(err.find("no REDIS_* variable is set"), std::string::npos) << err;
  EXPECT_EQ(album_names(live_).count("from-the-backup"), 0u);
  auto c = db::Connection::open(keepsake::testing::superuser_config(live_));
  EXPECT_EQ(c->exec("SELECT count(*) FROM system_metadata WHERE key = 'maintenance-mode'").int64(0, 0), maintenance_rows);
  EXPECT_EQ(unknown.exec("INSERT INTO system_metadata VALUES ('probe', '{}')"), "");  // not fenced

  KeepsakeProcess forced(env(url), work_.path(), {"restore", *file_, "--yes", "--force"});
  EXPECT_EQ(forced.wait_exit(300), 0) << forced.stderr_text();
  EXPECT_EQ(album_names(live_).count("from-the-backup"), 1u);
  EXPECT_TRUE(accepts_writes(live_));
  for (auto& f : fs::directory_iterator(backup::backups_folder(media_->path()))) {
    if (f.path().filename().string().rfind("restore-point-", 0) == 0) fs::remove(f.path());
  }
  c.reset();
  keepsake::testing::drop_owned_database(owned);
  live_ = keepsake::testing::create_fresh_database("fencedone");  // for TearDown
}

}  // namespace
}  // namespace keepsake::restore
