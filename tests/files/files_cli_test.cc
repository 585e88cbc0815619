// `keepsake files` as the real binary against real local restic repositories made here, on a
// library seeded with `dev seed --files`: init (with the password file Keepsake creates), backup
// (tags: the paired database backup, the scan's counts), list, check, restore into a new folder
// (every original's SHA-1 equals asset.checksum) and in place (only missing or different files,
// nothing deleted); a wrong password gives one clear error; a repository inside the media folder
// is refused.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "storage/checksum_verify.h"
#include "storage/seeded_library.h"

namespace keepsake::files {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

constexpr const char* kDbBackup = "immich-db-backup-20260101T020000-v2.7.5-pg15.10.sql.gz";

class FilesCliTest : public storage::testing::SeededLibraryTest {
 protected:
  std::string repo() const { return tmp_.path() + "/repo"; }
  std::string password_file() const { return data_dir() + "/files/restic-password"; }

  ProcessResult files(std::vector<std::string> args, const Env& env = {}) {
    args.insert(args.begin(), "files");
    return keepsake(std::move(args), env);
  }
  void init_and_back_up() {
    fs::create_directories(media() + "/backups");
    std::ofstream(media() + "/backups/" + kDbBackup) << "a stand-in dump";
    auto init = files({"init", "--repo", repo()});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    auto backup = files({"backup"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err << backup.out;
  }
  // restic itself, reading the password file Keepsake made.
  nlohmann::json restic_snapshots() {
    ProcessOptions o;
    o.argv = {"restic", "--repo", repo(), "snapshots", "--json", "--no-cache"};
    o.env = minimal_environment({{"RESTIC_PASSWORD_FILE", password_file()}});
    auto r = run_process(o);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  // asset id -> (originalPath, checksum) of every asset.
  std::map<std::string, std::pair<std::string, std::string>> originals() {
    auto r = conn_->exec(R"(SELECT id::text, "originalPath", checksum FROM asset)");
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = {r.text(i, 1), r.bytea(i, 2)};
    return out;
  }
  std::string relative_to_media(const std::string& path) {
    return fs::relative(path, media()).string();
  }
};

TEST_F(FilesCliTest, InitBackupListAndARestoreIntoANewFolderReproducesEveryOriginal) {
  init_and_back_up();
  struct stat st {};
  ASSERT_EQ(::stat(password_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto snapshots = restic_snapshots();
  ASSERT_EQ(snapshots.size(), 1u);
  auto tags = snapshots[0]["tags"].get<std::set<std::string>>();
  EXPECT_EQ(tags, (std::set<std::string>{std::string("keepsake-db:") + kDbBackup,
                                         "keepsake-missing-irreplaceable:0",
                                         "keepsake-missing-regenerable:0", "keepsake-orphans:0"}));

  auto list = files({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, kDbBackup)) << list.out;
  EXPECT_TRUE(has(list.out, "1 snapshots")) << list.out;

  auto check = files({"check", "--read-data-percent", "100"});
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;

  std::string restored = tmp_.path() + "/restored";
  auto restore = files({"restore", "latest", "--target", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_FALSE(fs::exists(restored + "/thumbs")) << "thumbs/ is not covered by default";
  EXPECT_TRUE(fs::exists(restored + "/backups/" + kDbBackup));
  std::vector<char> buffer;
  auto all = originals();
  ASSERT_GT(all.size(), 200u);
  for (const auto& [id, original] : all) {
    auto d = storage::sha1_of_file(restored + "/" + relative_to_media(original.first), buffer);
    ASSERT_TRUE(d.sha1) << id << " " << original.first;
    EXPECT_EQ(*d.sha1, original.second) << id;
  }
}

TEST_F(FilesCliTest, MissingOriginalsAreBackedUpLoudlyAndAnInPlaceRestoreRepairsOnlyThose) {
  fs::create_directories(media() + "/backups");
  ASSERT_EQ(files({"init", "--repo", repo()}).exit_code, 0);
  ASSERT_EQ(files({"backup"}).exit_code, 0);
  auto all = originals();
  auto lost = all.begin()->second.first;
  ASSERT_TRUE(fs::remove(lost));
  auto flipped = std::next(all.begin())->second.first;
  {
    std::fstream f(flipped, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('#');
  }
  std::string extra = fs::path(flipped).parent_path() / "not-in-any-snapshot.txt";
  std::ofstream(extra) << "mine";
  ASSERT_TRUE(fs::exists(extra));

  auto second = files({"backup"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(has(second.err, "1 IRREPLACEABLE FILES")) << second.err;
  auto snapshots = restic_snapshots();
  ASSERT_EQ(snapshots.size(), 2u);
  std::string older = snapshots[0]["time"] < snapshots[1]["time"] ? snapshots[0]["id"]
                                                                  : snapshots[1]["id"];

  auto repair = files({"restore", older});
  ASSERT_EQ(repair.exit_code, 0) << repair.err;
  EXPECT_TRUE(has(repair.out, ": 2 files written")) << repair.out;
  EXPECT_TRUE(fs::exists(extra)) << "nothing is deleted";
  auto verify = keepsake({"storage", "verify", "--all"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

// The pid of a running restic whose parent is `parent`, or 0.
pid_t restic_child_of(pid_t parent) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream stat(e.path() / "stat");
    std::string pid, comm, state;
    pid_t ppid = 0;
    if (stat >> pid >> comm >> state >> ppid && ppid == parent && comm == "(restic)") {
      return std::stoi(pid);
    }
  }
  return 0;
}

int64_t packs_in(const std::string& repo) {
  int64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(repo + "/data")) n += e.is_regular_file();
  return n;
}

TEST_F(FilesCliTest, AResticRunKilledMidSnapshotLeavesNoSnapshotAndTheNextRunCompletes) {
  ASSERT_EQ(files({"init", "--repo", repo()}).exit_code, 0);
  int64_t packs_before = packs_in(repo());
  {
    std::ofstream big(media() + "/upload/big-random.bin", std::ios::binary);
    std::mt19937_64 rng(18);
    std::vector<uint64_t> block(1 << 17);
    for (int i = 0; i < 256; ++i) {  // 256 MiB, incompressible: many packs
      for (auto& w : block) w = rng();
      big.write(reinterpret_cast<const char*>(block.data()), block.size() * 8);
    }
  }
  auto backup = storage::testing::keepsake_options(db_name_, media(), data_dir(),
                                                   {"files", "backup"});
  std::atomic<pid_t> keepsake_pid{0};
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t restic = keepsake_pid ? restic_child_of(keepsake_pid) : 0;
      if (restic && packs_in(repo()) > packs_before) {
        killed = ::kill(restic, SIGKILL) == 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto interrupted = run_process_streaming(backup, [](std::string_view) {},
                                           [&](pid_t pid) { keepsake_pid = pid; });
  killer.join();
  ASSERT_TRUE(killed) << "restic finished before it could be killed";
  EXPECT_NE(interrupted.exit_code, 0);
  EXPECT_TRUE(has(interrupted.err, "killed by signal 9")) << interrupted.err;
  EXPECT_EQ(restic_snapshots().size(), 0u) << "an unfinished snapshot is not counted";

  auto next = files({"backup"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(restic_snapshots().size(), 1u);
  auto check = files({"check", "--read-data-percent", "100"});
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;
}

TEST_F(FilesCliTest, AWrongPasswordGivesOneClearErrorAndNeverShowsThePassword) {
  ASSERT_EQ(files({"init", "--repo", repo()}, {{"RESTIC_PASSWORD", "right-horse"}}).exit_code, 0);
  EXPECT_FALSE(fs::exists(password_file())) << "the user's password is used, none is made";
  auto wrong = files({"list"}, {{"RESTIC_PASSWORD", "wrong-battery"}});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_EQ(wrong.err, "keepsake: error: wrong password for the restic repository " + repo() +
                           " (set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD to the "
                           "repository's password, or unset both to use the file `keepsake files "
                           "init` created under KEEPSAKE_DATA_DIR)\n");
  EXPECT_FALSE(has(wrong.out + wrong.err, "wrong-battery"));
  auto right = files({"list"}, {{"RESTIC_PASSWORD", "right-horse"}});
  EXPECT_EQ(right.exit_code, 0) << right.err;
}

TEST_F(FilesCliTest, ARepositoryInsideTheMediaFolderIsRefused) {
  auto r = files({"init", "--repo", media() + "/library/restic"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "lies inside the media location")) << r.err;
  EXPECT_FALSE(fs::exists(media() + "/library/restic"));
}

}  // namespace
}  // namespace keepsake::files
