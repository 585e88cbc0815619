// `keepsake files` against a restic repository on sftp, through an sshd the harness starts on
// loopback with throwaway keys (harness/throwaway_sshd.h): restic reaches it with the -o
// sftp.command that `files init -o` saved, run without a shell. Several repositories at once (a
// local one and the sftp one): a seeded library is backed up to each and restored from the sftp
// one; then the server stops: a command on it gives one clear error, and the next backup still
// goes to the local one while the sftp one is the admin's notification.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "files/files_jobs.h"
#include "harness/throwaway_sshd.h"
#include "storage/checksum_verify.h"
#include "storage/seeded_library.h"

namespace keepsake::files {
namespace {

namespace fs = std::filesystem;

class FilesSftpTest : public storage::testing::SeededLibraryTest {
 protected:
  ProcessResult files(std::vector<std::string> args) {
    args.insert(args.begin(), "files");
    return keepsake(std::move(args));
  }
  // Every original's SHA-1 under `root` (a restored media folder) equals asset.checksum.
  void expect_originals_under(const std::string& root) {
    auto r = conn_->exec(R"(SELECT "originalPath", checksum FROM asset)");
    ASSERT_GT(r.rows(), 200);
    std::vector<char> buffer;
    for (int i = 0; i < r.rows(); ++i) {
      auto relative = fs::relative(r.text(i, 0), media()).string();
      auto d = storage::sha1_of_file(root + "/" + relative, buffer);
      ASSERT_TRUE(d.sha1) << relative;
      EXPECT_EQ(*d.sha1, r.bytea(i, 1)) << relative;
    }
  }
  keepsake::testing::ThrowawaySshd sshd_;
};

// One test, > 15 s: the seeding (as every FilesCliTest, about 20 s on a loaded machine), a database
// backup and two backups to two repositories, a restore; split, it would seed twice.
TEST_F(FilesSftpTest, ABackupGoesToEveryRepositoryAndAnUnreachableOneDoesNotStopTheOthers) {
  auto local = tmp_.path() + "/local-repo";
  auto remote = sshd_.repository(tmp_.path() + "/sftp-repo");
  ASSERT_EQ(files({"init", "--repo", local}).exit_code, 0);
  auto init = files({"init", "--repo", remote, "-o", sshd_.sftp_command_option()});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(fs::exists(tmp_.path() + "/sftp-repo/config"));
  FilesJobOptions job{.db = db_config_, .settings = {media(), data_dir(), "", {}}};
  ASSERT_EQ(run_files_backup_job(job), FilesJobOutcome::kDone);
  auto list = keepsake({"backup", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::multiset<std::string> holders;
  auto points = nlohmann::json::parse(list.out)["libraryPoints"];
  for (const auto& p : points) holders.insert(p["repository"]);
  EXPECT_EQ(holders, (std::multiset<std::string>{local, remote}));
  auto restored = tmp_.path() + "/restored";
  auto restore = files({"restore", "latest", "--target", restored, "--repo", remote});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  expect_originals_under(restored);

  sshd_.stop();
  auto unreachable = files({"list", "--repo", remote});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.err;  // unavailable
  EXPECT_TRUE(has(unreachable.err, "the restic repository " + remote + " is unreachable")) << unreachable.err;
  EXPECT_EQ(run_files_backup_job(job), FilesJobOutcome::kSomeRepositoriesFailed);
  auto notes = conn_->exec(R"(SELECT description FROM notification WHERE type = 'JobFailed'
                               AND description LIKE 'Job FilesBackup %')");
  ASSERT_EQ(notes.rows(), 1);
  EXPECT_TRUE(has(notes.text(0, 0), "Job FilesBackup failed with error: no snapshot in " + remote +
                                        ": the restic repository " + remote + " is unreachable"))
      << notes.text(0, 0);
  list = keepsake({"backup", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto out = nlohmann::json::parse(list.out);
  ASSERT_EQ(out["libraryPoints"].size(), 2u) << "the local repository's two points";
  EXPECT_EQ(out["libraryPoints"][0]["repository"], local);
  EXPECT_TRUE(has(out.value("libraryPointsError", ""), remote)) << out.dump();
}

}  // namespace
}  // namespace keepsake::files
