// unpack_base_backup reads every form pg_basebackup wrote for Keepsake: zstd (base.tar.zst beside
// a plain pg_wal.tar, today's) and gzip (both .tar.gz, base backups taken before), and names a
// backup that holds neither. No cluster: tar files made here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/process.h"
#include "harness/test_cluster.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace {
namespace fs = std::filesystem;

class BaseBackupUnpackTest : public ::testing::Test {
 protected:
  // A base backup folder whose base tar holds PG_VERSION and whose WAL tar holds one segment name.
  std::string make_backup(const std::string& base_flag, const std::string& base_name,
                          const std::string& wal_flag, const std::string& wal_name) {
    std::string src = dir_.path() + "/src", backup = dir_.path() + "/backup";
    fs::create_directories(src + "/base");
    fs::create_directories(src + "/wal");
    fs::create_directories(backup);
    std::ofstream(src + "/base/PG_VERSION") << "15\n";
    std::ofstream(src + "/wal/000000010000000000000001") << "wal";
    tar(base_flag, backup + "/" + base_name, src + "/base", "PG_VERSION");
    tar(wal_flag, backup + "/" + wal_name, src + "/wal", "000000010000000000000001");
    return backup;
  }
  std::string unpack(const std::string& backup) {
    std::string data = dir_.path() + "/data";
    make_private_folder(data);
    unpack_base_backup(backup, data);
    return data;
  }
  keepsake::testing::TempDir dir_;

 private:
  static void tar(const std::string& flag, const std::string& file, const std::string& from, const std::string& member) {
    ProcessOptions p;
    p.argv = {"tar", "-cf", file, "-C", from, member};
    if (!flag.empty()) p.argv.insert(p.argv.begin() + 1, flag);
    p.env = minimal_environment();
    auto r = run_process(p);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
  }
};

TEST_F(BaseBackupUnpackTest, ZstdWithAPlainWalTarAsPgBasebackupWritesItToday) {
  auto data = unpack(make_backup("--zstd", "base.tar.zst", "", "pg_wal.tar"));
  EXPECT_TRUE(fs::exists(data + "/PG_VERSION"));
  EXPECT_TRUE(fs::exists(data + "/pg_wal/000000010000000000000001"));
}

TEST_F(BaseBackupUnpackTest, GzipAsBaseBackupsTakenBeforeZstd) {
  auto data = unpack(make_backup("--gzip", "base.tar.gz", "--gzip", "pg_wal.tar.gz"));
  EXPECT_TRUE(fs::exists(data + "/PG_VERSION"));
  EXPECT_TRUE(fs::exists(data + "/pg_wal/000000010000000000000001"));
}

TEST_F(BaseBackupUnpackTest, ABackupWithoutItsTarFilesIsNamedAsCorrupt) {
  std::string backup = dir_.path() + "/empty";
  fs::create_directories(backup);
  try {
    unpack(backup);
    FAIL() << "an empty base backup was unpacked";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(std::string(e.what()).find("holds no base.tar"), std::string::npos) << e.what();
  }
}

TEST_F(BaseBackupUnpackTest, ADamagedTarIsRefusedAsCorrupt) {
  auto backup = make_backup("--zstd", "base.tar.zst", "", "pg_wal.tar");
  fs::resize_file(backup + "/base.tar.zst", fs::file_size(backup + "/base.tar.zst") / 2);
  try {
    unpack(backup);
    FAIL() << "a cut base.tar.zst was unpacked";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(std::string(e.what()).find("cannot unpack"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace keepsake::pitr
