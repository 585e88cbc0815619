#include "backup/backup_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

void touch(const fs::path& p, const std::string& content = "x") {
  std::ofstream(p) << content;
}

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(folder)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Immich's own patterns (spec §5.1), written out here rather than taken from the code under test.
const std::regex kImmichValidName(R"(^[\d\w\-.]+\.sql(?:\.gz)?$)");
const std::regex kImmichRoutineName(R"(^immich-db-backup-\d{8}T\d{6}-v.*-pg.*\.sql\.gz$)");
const std::regex kImmichVersion(R"(-v(.*)-)");

std::string immich_version_of(const std::string& name) {
  std::smatch m;
  return std::regex_search(name, m, kImmichVersion) ? m[1].str() : "";
}

TEST(BackupNamesTest, RoutineNameFollowsImmichAndStaysParseable) {
  std::string name = make_backup_name(std::chrono::system_clock::now(), "15.20 (Debian 15.20-0+deb12u1)",
                                      backup_version_string("v2.7.5"));
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(^immich-db-backup-\d{8}T\d{6}-v2\.7\.5-pg15\.20\.sql\.gz$)"))) << name;
  EXPECT_TRUE(is_valid_backup_name(name));
  EXPECT_TRUE(is_valid_filename_param(name));
  EXPECT_TRUE(is_routine_backup_name(name));
  EXPECT_EQ(version_from_name(name), "2.7.5");
  EXPECT_EQ(immich_version_of(name), "2.7.5");  // > 2.4: Immich restores it as one database

  std::string restore_point = make_backup_name(std::chrono::system_clock::now(), "15.20", "2.7.5", "restore-point-");
  EXPECT_EQ(restore_point.rfind("restore-point-immich-db-backup-", 0), 0u);
  EXPECT_FALSE(is_routine_backup_name(restore_point));
}

// A database whose migrations are not v2.7.5's gets "unknown": Immich's listing, retention and
// restore patterns still accept the name, and "unknown" is no semver, so never "<= 2.4" (which
// would make Immich replay it as a cluster dump).
TEST(BackupNamesTest, UnknownVersionIsAcceptedByImmichsPatterns) {
  EXPECT_EQ(backup_version_string(std::nullopt), "unknown");
  std::string name = make_backup_name(std::chrono::system_clock::now(), "15.20", backup_version_string(std::nullopt));
  EXPECT_NE(name.find("-vunknown-pg15.20.sql.gz"), std::string::npos) << name;
  EXPECT_TRUE(std::regex_match(name, kImmichValidName)) << name;
  EXPECT_TRUE(std::regex_match(name, kImmichRoutineName)) << name;
  EXPECT_EQ(immich_version_of(name), "unknown");
  EXPECT_TRUE(is_routine_backup_name(name));
}

// Immich answers the zone as JavaScript's Intl names it: every alias of UTC is "UTC".
TEST(BackupNamesTest, TimezoneIsNamedAsImmichNamesIt) {
  for (const char* utc : {"Etc/UTC", "UTC", "Etc/GMT", "GMT", "Etc/Universal", "Zulu", "Etc/GMT+0"}) {
    EXPECT_EQ(immich_timezone_name(utc), "UTC") << utc;
  }
  for (const char* zone : {"Europe/Berlin", "America/New_York", "Etc/GMT+5"}) {
    EXPECT_EQ(immich_timezone_name(zone), zone);
  }
}

TEST(BackupNamesTest, TimestampIsLocalTime) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900, tm.tm_mon = 0, tm.tm_mday = 2, tm.tm_hour = 3, tm.tm_min = 4, tm.tm_sec = 5;
  tm.tm_isdst = -1;
  auto t = std::chrono::system_clock::from_time_t(mktime(&tm));
  EXPECT_EQ(make_backup_name(t, "15.20", "2.7.5").substr(0, 32), "immich-db-backup-20260102T030405");
}

TEST(BackupNamesTest, ValidationRules) {
  for (const char* good : {"a.sql", "a.sql.gz", "uploaded-x_y-z.1.sql.gz", "immich-db-backup-1712345678901.sql.gz"}) {
    EXPECT_TRUE(is_valid_backup_name(good)) << good;
  }
  for (const char* bad : {"../x.sql.gz", "a/b.sql", "x.sql.gz.tmp", "x.txt", ".sql", "x y.sql", "x.sql.gz.sha256", ""}) {
    EXPECT_FALSE(is_valid_backup_name(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_filename_param("a/b"));
  EXPECT_FALSE(is_valid_filename_param("%2e%2e"));
  EXPECT_EQ(version_from_name("immich-db-backup-20250101T020000-v1.2.3-pg14.1.sql.gz"), "1.2.3");
  EXPECT_EQ(version_from_name("immich-db-backup-1712345678901.sql.gz"), std::nullopt);
  EXPECT_EQ(uploaded_backup_name("/some/where/my.sql.gz"), "uploaded-my.sql.gz");
  EXPECT_THROW(uploaded_backup_name("evil.sh"), Error);
}

TEST(BackupRetentionTest, PrunesExactlyAsTheSpecSays) {
  std::vector<std::string> names = {
      "immich-db-backup-20250103T020000-v2.7.5-pg15.20.sql.gz",
      "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz",
      "immich-db-backup-20250101T020000-v2.4.0-pg14.10.sql.gz",
      "immich-db-backup-1712345678901.sql.gz",  // old style, sorts below the new style
      "immich-db-backup-20250104T020000-v2.7.5-pg15.20.sql.gz.tmp",  // failed: always removed
      "immich-db-backup-20250104T020000-v2.7.5-pg15.20.sql.gz.sha256",
      "uploaded-immich-db-backup-20200101T000000-v1.0.0-pg14.1.sql.gz",
      "restore-point-immich-db-backup-20200101T000000-v2.7.5-pg15.20.sql.gz",
      "something-else.sql",
  };
  auto doomed = names_to_prune(names, 2);
  std::sort(doomed.begin(), doomed.end());
  EXPECT_EQ(doomed, (std::vector<std::string>{
                        "immich-db-backup-1712345678901.sql.gz",
                        "immich-db-backup-20250101T020000-v2.4.0-pg14.10.sql.gz",
                        "immich-db-backup-20250104T020000-v2.7.5-pg15.20.sql.gz.tmp",
                    }));
  EXPECT_EQ(names_to_prune(names, 14), std::vector<std::string>{
                                           "immich-db-backup-20250104T020000-v2.7.5-pg15.20.sql.gz.tmp"});
}

TEST(BackupRetentionTest, PruneDeletesFilesAndTheirSidecarsOnly) {
  TempDir dir;
  for (const char* n : {"immich-db-backup-20250103T020000-v2.7.5-pg15.20.sql.gz",
                        "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz",
                        "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz.sha256",
                        "immich-db-backup-20250105T020000-v2.7.5-pg15.20.sql.gz.tmp",
                        "uploaded-a.sql", "restore-point-immich-db-backup-1.sql.gz"}) {
    touch(fs::path(dir.path()) / n);
  }
  auto deleted = prune_backups(dir.path(), 1);
  EXPECT_EQ(deleted.size(), 2u);
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{
                                      "immich-db-backup-20250103T020000-v2.7.5-pg15.20.sql.gz",
                                      "restore-point-immich-db-backup-1.sql.gz", "uploaded-a.sql"}));
}

TEST(BackupListTest, ValidRegularFilesNewestFirstDeterministically) {
  TempDir dir;
  fs::path d = dir.path();
  touch(d / "immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz", "12345");
  touch(d / "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz");
  touch(d / "restore-point-immich-db-backup-20250103T010000-v2.7.5-pg15.20.sql.gz");
  touch(d / "immich-db-backup-1735700000000.sql.gz");  // 2025-01-01 02:53 UTC, old style
  touch(d / "x.sql.gz.tmp");
  touch(d / "notes.txt");
  fs::create_directory(d / "dir.sql");
  fs::create_symlink("/etc/passwd", d / "link.sql");
  auto list = list_backups(dir.path());
  std::vector<std::string> names;
  for (auto& f : list) names.push_back(f.filename);
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], "restore-point-immich-db-backup-20250103T010000-v2.7.5-pg15.20.sql.gz");
  EXPECT_EQ(names[1], "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz");
  EXPECT_EQ(list_backups(dir.path()).size(), 4u);
  for (auto& f : list) {
    if (f.filename == "immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz") {
      EXPECT_EQ(f.filesize, 5u);
    }
  }
  EXPECT_TRUE(list_backups(d / "missing").empty());
}

TEST(BackupPathTest, TraversalAndSymlinksAreRefused) {
  TempDir dir;
  fs::path d = dir.path();
  touch(d / "good.sql.gz");
  fs::create_symlink("/etc/hostname", d / "escape.sql.gz");
  EXPECT_EQ(resolve_backup_path(dir.path(), "good.sql.gz"), (d / "good.sql.gz").string());
  for (const char* bad : {"../good.sql.gz", "..sql", "a/../../etc/passwd.sql", "/etc/x.sql"}) {
    try {
      resolve_backup_path(dir.path(), bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_STREQ(e.what(), "Invalid backup name!");
    }
  }
  EXPECT_THROW(resolve_backup_path(dir.path(), "escape.sql.gz"), Error);
  EXPECT_THROW(resolve_backup_path(dir.path(), "absent.sql.gz"), Error);
}

TEST(BackupDeleteTest, AnyInvalidNameDeletesNothing) {
  TempDir dir;
  fs::path d = dir.path();
  touch(d / "a.sql.gz");
  touch(d / "a.sql.gz.sha256");
  touch(d / "b.sql");
  EXPECT_THROW(delete_backups(dir.path(), {"a.sql.gz", "../b.sql"}), Error);
  EXPECT_TRUE(fs::exists(d / "a.sql.gz"));
  delete_backups(dir.path(), {"a.sql.gz", "b.sql"});
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(BackupSidecarTest, WritesSha256sumFormat) {
  TempDir dir;
  std::string file = dir.path() + "/x.sql.gz";
  touch(file);
  std::string hex(64, 'a');
  write_sha256_sidecar(file, hex);
  std::ifstream in(file + ".sha256");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, hex + "  x.sql.gz");
  EXPECT_EQ(read_sha256_sidecar(file), hex);
  touch(file + ".sha256", "not-a-checksum");
  EXPECT_THROW(read_sha256_sidecar(file), Error);
  EXPECT_EQ(read_sha256_sidecar(dir.path() + "/none.sql.gz"), std::nullopt);
}

}  // namespace
}  // namespace keepsake::backup
