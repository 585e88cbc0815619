// Keeping several files repositories, against real local restic repositories made here on a small
// seeded library: after each scheduled files backup the last keepLastAmount snapshots are kept,
// only Keepsake's own (another client's snapshot in the same repository stays), and retention
// pauses while originals are missing; the scheduled `restic check` reads a rotating part of every
// repository's data once per tick across instances, records each repository's outcome for the
// status, and a damaged repository reaches the admin; a repair takes its copies from the next
// repository when the primary is damaged.
#include "files/check_schedule.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/keepsake_settings.h"
#include "config/system_config.h"
#include "db/locks.h"
#include "files/files_jobs.h"
#include "storage/seeded_library.h"

namespace keepsake::files {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;
using namespace std::chrono_literals;

// Sunday 2030-03-10 05:00 UTC and the Sundays after it.
system_clock::time_point sunday(int week) { return system_clock::from_time_t(1'899'349'200) + week * 168h; }

TEST(CheckPart, WeeklyTicksReadEachOfFourPartsOnceInTwentyEightDays) {
  std::set<std::string> parts;
  for (int week = 0; week < 4; ++week) {
    auto part = check_part("0 05 * * 0", 28, sunday(week));
    EXPECT_EQ(part.t, 4) << "four Sundays in 28 days";
    parts.insert(part.subset());
  }
  EXPECT_EQ(parts, (std::set<std::string>{"1/4", "2/4", "3/4", "4/4"}));
  EXPECT_EQ(check_part("0 05 * * 0", 28, sunday(4)).subset(), check_part("0 05 * * 0", 28, sunday(0)).subset())
      << "the fifth week starts the rotation again";
  EXPECT_EQ(check_part("0 05 * * *", 28, sunday(0)).t, 28) << "daily: a 28th each night";
  EXPECT_EQ(check_part("0 05 * * 0", 7, sunday(0)).subset(), "1/1") << "weekly with a 7-day full read";
  EXPECT_EQ(check_part("* * * * *", 28, sunday(0)).t, 1000) << "bounded";
}

class FilesRetentionCheckTest : public storage::testing::SeededLibraryTest {
 protected:
  std::string repo(const std::string& name = "repo") const { return tmp_.path() + "/" + name; }
  FilesSettings settings() const { return {media(), data_dir(), "", {}}; }
  void init(const std::string& repository) {
    auto r = keepsake({"files", "init", "--repo", repository});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  FilesJobOutcome job() { return run_files_backup_job({.db = db_config_, .settings = settings()}); }
  void keep_last(int n) {
    auto s = config::load_system_config(*conn_);
    s["backup"]["database"]["keepLastAmount"] = n;
    config::save_system_config(*conn_, s);
  }
  // restic itself, with the password file Keepsake made.
  ProcessResult restic(const std::string& repository, std::vector<std::string> args) {
    ProcessOptions o;
    o.argv = {"restic", "--repo", repository, "--no-cache"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = minimal_environment({{"RESTIC_PASSWORD_FILE", data_dir() + "/files/restic-password"}});
    return run_process(o);
  }
  size_t snapshots_of_host(const std::string& repository, const std::string& host) {
    auto r = restic(repository, {"snapshots", "--json", "--host", host});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out).size();
  }
  int64_t notifications(const std::string& job) {
    return conn_->exec("SELECT count(*) FROM notification WHERE description LIKE $1", {"Job " + job + " failed%"})
        .int64(0, 0);
  }
};

TEST_F(FilesRetentionCheckTest, BackupsKeepTheLastPointsOfKeepsakeOnlyAndPauseWhileOriginalsAreMissing) {
  init(repo());
  std::string other = tmp_.path() + "/laptop-photos";
  fs::create_directories(other);
  std::ofstream(other + "/a.txt") << "another client's file";
  ASSERT_EQ(restic(repo(), {"backup", "--host", "laptop", other}).exit_code, 0);
  keep_last(2);

  for (int i = 0; i < 3; ++i) ASSERT_EQ(job(), FilesJobOutcome::kDone);
  EXPECT_EQ(snapshots_of_host(repo(), "keepsake"), 2u) << "the last keepLastAmount points";
  EXPECT_EQ(snapshots_of_host(repo(), "laptop"), 1u) << "another client's snapshot is never forgotten";

  auto original = conn_->exec(R"(SELECT "originalPath" FROM asset WHERE status <> 'deleted' LIMIT 1)").text(0, 0);
  ASSERT_TRUE(fs::remove(original));
  ASSERT_EQ(job(), FilesJobOutcome::kDone);
  ASSERT_EQ(job(), FilesJobOutcome::kDone);
  EXPECT_EQ(snapshots_of_host(repo(), "keepsake"), 4u)
      << "while an original is missing the snapshots that hold it are all kept";

  auto forget = keepsake({"files", "forget"});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_TRUE(has(forget.out, repo() + ": 2 snapshots forgotten and pruned, 3 kept (the last 2 points)"))
      << forget.out << "\n(kept counts the other client's snapshot too)";
  EXPECT_EQ(snapshots_of_host(repo(), "laptop"), 1u);
  EXPECT_EQ(notifications("FilesBackup"), 0);
}

TEST_F(FilesRetentionCheckTest, TheScheduledCheckReadsARotatingPartOfEveryRepositoryAndADamagedOneReachesTheAdmin) {
  init(repo("first"));
  init(repo("second"));
  ASSERT_EQ(job(), FilesJobOutcome::kDone);
  CheckScheduler a(db_config_, settings()), b(db_config_, settings());

  auto passed = a.run_tick(sunday(0));
  ASSERT_TRUE(passed);
  ASSERT_EQ(passed->size(), 2u);
  for (const auto& outcome : *passed) EXPECT_TRUE(outcome.ok) << outcome.repository << ": " << outcome.error;
  EXPECT_FALSE(b.run_tick(sunday(0))) << "a tick runs once across instances";
  auto checks = repository_checks(settings());
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0]["repository"], repo("first"));
  EXPECT_EQ(checks[0]["last"]["ok"], true);
  EXPECT_EQ(checks[0]["last"]["readData"], check_part("0 05 * * 0", 28, sunday(0)).subset());
  EXPECT_EQ(checks[1]["lastPassed"]["snapshots"], 1);
  auto first_pass = checks[1]["lastPassed"];
  auto points = list_library_points(settings());
  ASSERT_EQ(points.size(), 2u);
  for (const auto& p : points) EXPECT_FALSE(p.files_checked_at.empty()) << p.repository << " checked";

  {
    auto backup_running = db::try_lock(db_config_, db::DatabaseLock::FilesBackup);
    ASSERT_TRUE(backup_running);
    EXPECT_FALSE(a.run_tick(sunday(1))) << "skipped while a files backup holds the repositories";
  }

  // The second repository loses its index: the structure check finds the snapshot's trees
  // nowhere. (Lost packs would be found too, but restic retries loading them for minutes.)
  for (const auto& e : fs::directory_iterator(repo("second") + "/index")) fs::remove(e.path());
  auto damaged = b.run_tick(sunday(2));
  ASSERT_TRUE(damaged);
  ASSERT_EQ(damaged->size(), 2u);
  EXPECT_TRUE((*damaged)[0].ok) << "the first is still checked and passes";
  EXPECT_FALSE((*damaged)[1].ok);
  EXPECT_NE((*damaged)[1].error.find("restic check found errors"), std::string::npos) << (*damaged)[1].error;
  EXPECT_EQ(notifications("FilesCheck"), 1);
  checks = repository_checks(settings());
  EXPECT_EQ(checks[1]["last"]["ok"], false);
  EXPECT_EQ(checks[1]["lastPassed"], first_pass) << "the last pass stays on record";

  auto by_hand = keepsake({"files", "check"});
  EXPECT_NE(by_hand.exit_code, 0);
  EXPECT_TRUE(has(by_hand.out, "Repository check passed: " + repo("first"))) << by_hand.out;
  EXPECT_TRUE(has(by_hand.out, "REPOSITORY DAMAGED: " + repo("second"))) << by_hand.out;
  EXPECT_TRUE(has(by_hand.err, "restic check found errors in 1 repository(ies)")) << by_hand.err;

  auto s = config::load_keepsake_settings(*conn_);
  s["files"]["check"]["enabled"] = false;
  config::save_keepsake_settings(*conn_, s);
  EXPECT_FALSE(a.run_tick(sunday(3))) << "switched off";
}

TEST_F(FilesRetentionCheckTest, ARepairTakesItsCopyFromTheNextRepositoryWhenThePrimaryIsDamaged) {
  init(repo("first"));
  init(repo("second"));
  ASSERT_EQ(job(), FilesJobOutcome::kDone);
  auto original = conn_->exec(R"(SELECT "originalPath" FROM asset WHERE status <> 'deleted' LIMIT 1)").text(0, 0);
  ASSERT_TRUE(fs::remove(original));
  for (const auto& e : fs::directory_iterator(repo("first") + "/index")) fs::remove(e.path());

  auto repair = keepsake({"files", "restore", "--repair"});
  ASSERT_EQ(repair.exit_code, 0) << repair.err << repair.out;
  EXPECT_TRUE(has(repair.out, "repaired " + original + " (from snapshot ")) << repair.out;
  EXPECT_TRUE(has(repair.out, " in " + repo("second") + ")")) << repair.out;
  EXPECT_TRUE(has(repair.err, "could not read the repository " + repo("first") + ": ")) << repair.err;
  EXPECT_TRUE(fs::exists(original));
  EXPECT_EQ(keepsake({"storage", "verify", "--all"}).exit_code, 0);
  for (const auto& e : fs::directory_iterator(data_dir() + "/files")) {
    EXPECT_EQ(e.path().filename().string().find("repair-staging"), std::string::npos) << "left behind: " << e.path();
  }
}

TEST_F(FilesRetentionCheckTest, EveryCommandGoesOnPastARepositoryItCannotReadAndRemoveLeavesTheRepositoryAsItIs) {
  init(repo("first"));
  init(repo("second"));
  ASSERT_EQ(job(), FilesJobOutcome::kDone);
  auto only_second = keepsake({"files", "backup", "--repo", repo("second")});
  ASSERT_EQ(only_second.exit_code, 0) << only_second.err;
  auto second_only_id = restic(repo("second"), {"snapshots", "--json", "latest"});
  auto id = nlohmann::json::parse(second_only_id.out)[0]["short_id"].get<std::string>();

  auto restored = tmp_.path() + "/restored";
  auto restore = keepsake({"files", "restore", id, "--target", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.err << "\n(the snapshot is found in the second repository)";
  EXPECT_TRUE(fs::exists(restored + "/upload")) << restore.out;
  EXPECT_TRUE(has(restore.err, "files restore")) << restore.err;
  EXPECT_TRUE(has(restore.err, "100%")) << "progress reaches the snapshot's size: " << restore.err;

  fs::rename(repo("first"), repo("first-away"));
  auto check = keepsake({"files", "check"});
  EXPECT_EQ(check.exit_code, 1) << check.err;  // not found: the first is gone
  EXPECT_TRUE(has(check.out, "Repository check passed: " + repo("second"))) << check.out;
  EXPECT_TRUE(has(check.err, "could not use the repository " + repo("first") + ": ")) << check.err;
  EXPECT_TRUE(has(check.err, "1 of 2 repositories could not be used")) << check.err;
  auto list = keepsake({"files", "list"});
  EXPECT_NE(list.exit_code, 0);
  EXPECT_TRUE(has(list.out, "== " + repo("second") + "\n")) << list.out;
  EXPECT_TRUE(has(list.out, "2 snapshots")) << list.out;
  ASSERT_EQ(keepsake({"files", "restore", id, "--target", restored + "-2"}).exit_code, 0)
      << "the unreadable first repository is skipped";

  auto remove = keepsake({"files", "remove", "--repo", repo("first")});
  ASSERT_EQ(remove.exit_code, 0) << remove.err;
  EXPECT_TRUE(has(remove.out, "The primary repository is " + repo("second"))) << remove.out;
  EXPECT_EQ(keepsake({"files", "list"}).exit_code, 0) << "only the second is used now";
  EXPECT_EQ(keepsake({"files", "remove", "--repo", repo("first")}).exit_code, 1) << "not saved any more";
  fs::rename(repo("first-away"), repo("first"));
  EXPECT_EQ(snapshots_of_host(repo("first"), "keepsake"), 1u) << "the removed repository is left as it was";
  ASSERT_EQ(keepsake({"files", "remove", "--repo", repo("second")}).exit_code, 0);
  auto none = keepsake({"files", "list"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(has(none.err, "no restic repository configured")) << none.err;
}

}  // namespace
}  // namespace keepsake::files
