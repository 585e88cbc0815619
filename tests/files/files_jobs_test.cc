// The files backup as `keepsake serve` runs it, against real local restic repositories made here
// on a small seeded library: right after each scheduled database backup (paired with it) or on
// its own cron (one snapshot per tick however many servers), under the FilesBackup lock, never
// without a repository; a paired database backup whose recorded verification still holds is not
// read again; each repository failure is one clear Error and the admin's JobFailed notification;
// the admin HTTP status and background actions (401/403, progress, results).
#include <sys/mount.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "app/app_context.h"
#include "backup/backup_files.h"
#include "backup/backup_scheduler.h"
#include "backup/backup_verifications.h"
#include "config/keepsake_settings.h"
#include "db/locks.h"
#include "files/files_jobs.h"
#include "http/test_server.h"
#include "storage/seeded_library.h"

namespace keepsake::files {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::system_clock;

system_clock::time_point tick(int n) { return system_clock::from_time_t(1'900'000'000 + 60 * n); }

class FilesJobsTest : public storage::testing::SeededLibraryTest {
 protected:
  std::string repo() const { return tmp_.path() + "/repo"; }
  FilesSettings settings() const { return {media(), data_dir(), "", {}}; }
  void init(const std::string& repository) {
    auto r = keepsake({"files", "init", "--repo", repository});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  FilesJobOutcome job(FilesSettings s) { return run_files_backup_job({.db = db_config_, .settings = std::move(s)}); }
  std::string newest_database_backup() {
    auto all = backup::list_backups(backup::backups_folder(media()));
    return all.empty() ? "" : all.front().filename;
  }
  void write_random(const std::string& path, size_t mib) {
    std::ofstream out(path, std::ios::binary);
    std::mt19937_64 rng(18);
    std::vector<uint64_t> block(1 << 17);
    for (size_t i = 0; i < mib; ++i) {
      for (auto& w : block) w = rng();
      out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * 8));
    }
  }
};

TEST_F(FilesJobsTest, SnapshotsFollowTheDatabaseBackupOrTheirOwnCronOnceUnderTheirOwnLock) {
  FilesScheduler files(db_config_, settings());
  backup::BackupScheduler database({.backup = {.db = db_config_, .media_location = media()},
                                    .after_backup = [&](const backup::BackupResult& made) {
                                      files.after_database_backup({made.filename, made.sha256});
                                    }});
  ASSERT_TRUE(database.run_tick(tick(0)));
  EXPECT_FALSE(fs::exists(data_dir() + "/files")) << "no repository: restic never runs";
  EXPECT_EQ(job(settings()), FilesJobOutcome::kNoRepository);

  init(repo());
  ASSERT_TRUE(database.run_tick(tick(1)));
  auto snapshots = list_snapshots(settings());
  ASSERT_EQ(snapshots.size(), 1u);
  auto paired = newest_database_backup();
  EXPECT_EQ(snapshots[0].db_backup, paired) << "paired with the backup just made";
  EXPECT_FALSE(database.run_tick(tick(1))) << "a tick runs once";
  {
    auto held = db::try_lock(db_config_, db::DatabaseLock::FilesBackup);
    ASSERT_TRUE(held);
    EXPECT_EQ(job(settings()), FilesJobOutcome::kBusy);
  }

  auto config = config::load_keepsake_settings(*conn_);
  config["files"]["backup"]["afterDatabaseBackup"] = false;
  config::save_keepsake_settings(*conn_, config);
  files.after_database_backup({paired, "unused"});
  FilesScheduler other_server(db_config_, settings());
  files.run_tick(tick(2));
  other_server.run_tick(tick(2));
  snapshots = list_snapshots(settings());
  ASSERT_EQ(snapshots.size(), 2u) << "one snapshot for the cron tick, none after the database backup";
  EXPECT_EQ(snapshots[0].db_backup, paired);

  // The cron's run verified the paired backup once and recorded it: the next one need not read it.
  auto folder = backup::backups_folder(media());
  auto sha256 = backup::read_sha256_sidecar(folder + "/" + paired);
  EXPECT_EQ(backup::still_verified(*conn_, folder, paired), sha256);
  fs::last_write_time(folder + "/" + paired, fs::last_write_time(folder + "/" + paired) + std::chrono::hours(1));
  EXPECT_EQ(backup::still_verified(*conn_, folder, paired), std::nullopt) << "a changed file is read again";
}

struct TmpfsMount {
  std::string path;
  bool mounted = false;
  explicit TmpfsMount(std::string p) : path(std::move(p)) {
    fs::create_directories(path);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=3m") == 0;
  }
  ~TmpfsMount() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

TEST_F(FilesJobsTest, EachRepositoryFailureIsOneClearErrorAndTheAdminsNotification) {
  init(repo());
  auto failure = [&](FilesSettings s) -> std::optional<Error> {
    try {
      job(std::move(s));
    } catch (const Error& e) {
      return e;
    }
    return std::nullopt;
  };
  auto missing = settings();
  missing.repository = tmp_.path() + "/nowhere";
  auto e = failure(missing);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::kNotFound);
  EXPECT_EQ(std::string(e->what()), "no restic repository at " + missing.repository);

  auto wrong = settings();
  wrong.env["RESTIC_PASSWORD"] = "not-the-password";
  e = failure(wrong);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::kUnauthorized);

  auto unreachable = settings();
  unreachable.repository = "sftp://keepsake@127.0.0.1:1//repo";
  e = failure(unreachable);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::kUnavailable) << e->what();

  TmpfsMount small(tmp_.path() + "/small");
  if (small.mounted) {
    init(small.path + "/repo");
    write_random(media() + "/upload/big.bin", 6);
    auto full = settings();
    full.repository = small.path + "/repo";
    full.env["TMPDIR"] = small.path;  // restic's pack files fill the disk before any upload
    e = failure(full);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::kIo) << e->what();
    // restic 0.14 reports the full disk, or now and then panics writing its pack file (exit 2).
    EXPECT_TRUE(std::string(e->what()) == "restic backup: no space left on device" ||
                std::string(e->what()).rfind("restic backup failed (exit 2)", 0) == 0)
        << e->what();
  }

  auto notes = conn_->exec(R"(SELECT description FROM notification WHERE type = 'JobFailed'
                               AND description LIKE 'Job FilesBackup %' ORDER BY "createdAt")");
  ASSERT_EQ(notes.rows(), small.mounted ? 4 : 3);
  EXPECT_EQ(notes.text(0, 0), "Job FilesBackup failed with error: no restic repository at " + missing.repository +
                                  " (create one with `keepsake files init --repo " + missing.repository + "`)");

  if (!small.mounted) GTEST_SKIP() << "no tmpfs mount (not root?): the full-disk case was not run";
}

using keepsake::testing::signed_in_as;

json wait_for_task(httplib::Client& client, const httplib::Headers& key) {
  for (int i = 0; i < 600; ++i) {
    auto status = json::parse(client.Get("/api/admin/files", key)->body);
    if (status["task"].is_object() && !status["task"]["running"].get<bool>()) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "the background task did not finish in 120 s";
  return json::object();
}

TEST_F(FilesJobsTest, AdminsSeeTheStatusAndStartABackupAndAVerificationInTheBackground) {
  Config config = load_config({{"KEEPSAKE_DATA_DIR", data_dir()}, {"IMMICH_MEDIA_LOCATION", media()}});
  config.db = db_config_;
  app::AppContext app(config);
  httplib::Headers key{{"x-api-key", "k"}};
  {
    keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = &app}, signed_in_as(false));
    EXPECT_EQ(server.client().Get("/api/admin/files")->status, 401);
    EXPECT_EQ(server.client().Get("/api/admin/files", key)->status, 403);
    EXPECT_EQ(server.client().Post("/api/admin/files/backup", key, "", "application/json")->status, 403);
    EXPECT_EQ(server.client().Post("/api/admin/files/verify", key, "", "application/json")->status, 403);
  }
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = &app}, signed_in_as(true));
  auto client = server.client();
  auto status = json::parse(client.Get("/api/admin/files", key)->body);
  EXPECT_TRUE(status["repository"].is_null());
  EXPECT_EQ(client.Post("/api/admin/files/backup", key, "", "application/json")->status, 404);

  init(repo());
  auto started = client.Post("/api/admin/files/backup", key, "", "application/json");
  ASSERT_EQ(started->status, 202) << started->body;
  EXPECT_EQ(client.Post("/api/admin/files/verify", key, "", "application/json")->status, 409)
      << "one task at a time";
  status = wait_for_task(client, key);
  EXPECT_EQ(status["task"]["kind"], "backup");
  EXPECT_TRUE(status["task"]["error"].is_null()) << status["task"]["error"];
  EXPECT_EQ(status["task"]["percent"], 100.0);
  EXPECT_EQ(status["repository"], repo());
  ASSERT_EQ(status["snapshots"].size(), 1u);
  ASSERT_EQ(status["libraryPoints"].size(), 1u);
  EXPECT_EQ(status["libraryPoints"][0]["database"]["state"], "verified");
  EXPECT_EQ(status["libraryPoints"][0]["id"], status["snapshots"][0]["shortId"]);

  ASSERT_EQ(client.Post("/api/admin/files/verify", key, R"({"all": true})", "application/json")->status, 202);
  status = wait_for_task(client, key);
  EXPECT_EQ(status["task"]["kind"], "verify");
  EXPECT_EQ(status["task"]["result"]["passComplete"], true);
  ASSERT_TRUE(status["verification"].is_object());
  EXPECT_EQ(status["verification"]["checked"], status["verification"]["total"]);
  EXPECT_GT(status["verification"]["total"].get<int>(), 200);
  EXPECT_EQ(status["verification"]["findings"].size(), 0u);
}

}  // namespace
}  // namespace keepsake::files
