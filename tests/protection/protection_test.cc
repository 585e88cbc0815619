// The protection verdict against a real database and a real backups folder: at risk without a
// backup, protected after a verified backup, failing after a failed backup or a damaged latest
// backup; unconfigured sources are reported as unavailable, never filled in.
#include "protection/protection.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "backup/backup_verifications.h"
#include "harness/bootstrapped_database.h"

namespace keepsake::protection {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

class ProtectionTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  void SetUp() override {
    BootstrappedDatabaseTest::SetUp();
    config_.db = db_config_;
    config_.media_location = media_.path();
    config_.data_dir = data_.path();
    conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
  }
  Report read() { return read_protection(*conn_, {.config = config_, .env = {}}); }
  backup::BackupResult make_backup() {
    backup::BackupOptions o;
    o.db = db_config_;
    o.media_location = media_.path();
    return backup::create_backup(o);
  }
  bool has_reason(const Report& r, const std::string& text) {
    for (const auto& reason : r.reasons) {
      if (reason.find(text) != std::string::npos) return true;
    }
    return false;
  }

  TempDir media_, data_;
  Config config_;
};

TEST_F(ProtectionTest, NoBackupIsAtRiskAndUnconfiguredSourcesAreUnavailable) {
  auto r = read();
  EXPECT_EQ(r.verdict, Verdict::kAtRisk);
  EXPECT_TRUE(has_reason(r, "no database backup yet")) << r.reasons.at(0);
  EXPECT_FALSE(r.pitr.available);
  EXPECT_NE(r.pitr.reason.find("not enabled"), std::string::npos);
  EXPECT_FALSE(r.snapshots.available);
  EXPECT_NE(r.snapshots.reason.find("no file backup repository"), std::string::npos) << r.snapshots.reason;
  EXPECT_FALSE(r.checksum.available);
  EXPECT_EQ(r.users, 1);
  EXPECT_TRUE(r.timeline.empty());
}

TEST_F(ProtectionTest, VerifiedBackupIsProtectedAndItsEventsAreOnTheTimeline) {
  auto made = make_backup();
  auto r = read();
  EXPECT_EQ(r.verdict, Verdict::kProtected) << (r.reasons.empty() ? "" : r.reasons.front());
  ASSERT_EQ(r.backups.size(), 1u);
  EXPECT_EQ(r.backups[0].filename, made.filename);
  EXPECT_EQ(r.backups[0].verification, "verified");  // as it was written

  auto v = backup::verify_and_record(*conn_, backup::backups_folder(media_.path()), made.filename);
  EXPECT_TRUE(v.ok) << v.message;
  r = read();
  EXPECT_EQ(r.verdict, Verdict::kProtected);
  std::vector<std::string> kinds;
  for (const auto& e : r.timeline) kinds.push_back(e.kind);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "backup"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "verification"), 2) << "at creation and on request";
}

TEST_F(ProtectionTest, UploadedBackupIsAtRiskUntilVerifiedAndFailingWhenDamaged) {
  std::string folder = backup::backups_folder(media_.path());
  fs::create_directories(folder);
  std::ofstream(folder + "/uploaded-cut.sql") << "--\n-- PostgreSQL database dump\n--\nSELECT 1;\n";
  auto r = read();
  EXPECT_EQ(r.verdict, Verdict::kAtRisk);
  EXPECT_TRUE(has_reason(r, "has not been verified"));

  auto v = backup::verify_and_record(*conn_, folder, "uploaded-cut.sql");
  EXPECT_FALSE(v.ok);
  r = read();
  EXPECT_EQ(r.verdict, Verdict::kFailing);
  EXPECT_EQ(r.backups[0].verification, "failed");
  EXPECT_TRUE(has_reason(r, "is damaged")) << r.reasons.at(0);
  EXPECT_FALSE(r.timeline.back().ok);
}

TEST_F(ProtectionTest, FailedBackupAfterTheLastGoodOneIsFailingWithItsReason) {
  make_backup();
  backup::notify_backup_failure(db_config_, "cannot create the backup file: Read-only file system");
  auto r = read();
  EXPECT_EQ(r.verdict, Verdict::kFailing);
  EXPECT_TRUE(has_reason(r, "Read-only file system")) << r.reasons.at(0);
  ASSERT_TRUE(r.last_failure);

  make_backup();  // a good backup after the failure
  r = read();
  EXPECT_EQ(r.verdict, Verdict::kProtected) << r.reasons.at(0);
}

TEST(ProtectionJudgeTest, OldBackupAndDisabledScheduleAreAtRisk) {
  Report r;
  auto now = std::chrono::system_clock::now();
  r.backups.push_back({"immich-db-backup-1.sql.gz", 1, "2020-01-01T00:00:00Z", "verified", "2020-01-01T00:00:00Z", ""});
  r.schedule.enabled = false;
  judge(r, now);
  EXPECT_EQ(r.verdict, Verdict::kAtRisk);
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_NE(r.reasons[0].find("days old"), std::string::npos);
  EXPECT_NE(r.reasons[1].find("turned off"), std::string::npos);
}

}  // namespace
}  // namespace keepsake::protection
