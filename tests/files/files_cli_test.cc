// `keepsake files` as the real binary against real local restic repositories made here, on a
// library seeded with `dev seed --files`: init (with the password file Keepsake creates), backup
// (tags: the paired database backup, the scan's counts), list, check, restore into a new folder
// (every original's SHA-1 equals asset.checksum) and in place (only missing or different files,
// nothing deleted); a wrong password and a repository locked by another restic each give one
// clear error; a repository inside the media folder
// is refused; library points in `backup list`; `restore --library` (database and files, extras
// moved aside, the SHA-1 proof); `files restore --repair` from the newest good copy; `files
// forget` retention.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backup/backup_files.h"
#include "storage/checksum_verify.h"
#include "storage/seeded_library.h"

namespace keepsake::files {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

class FilesCliTest : public storage::testing::SeededLibraryTest {
 protected:
  std::string repo() const { return tmp_.path() + "/repo"; }
  std::string password_file() const { return data_dir() + "/files/restic-password"; }

  ProcessResult files(std::vector<std::string> args, const Env& env = {}) {
    args.insert(args.begin(), "files");
    return keepsake(std::move(args), env);
  }
  void init_and_back_up() {
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
  nlohmann::json library_points() {
    auto list = keepsake({"backup", "list", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    auto points = nlohmann::json::parse(list.out)["libraryPoints"];
    return points.is_array() ? points : nlohmann::json::array();
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
  auto made = backup::list_backups(backup::backups_folder(media()));
  ASSERT_EQ(made.size(), 1u) << "no database backup verified, so one was made before the snapshot";
  auto sha256 = backup::read_sha256_sidecar(backup::backups_folder(media()) + "/" + made[0].filename);
  ASSERT_TRUE(sha256);
  EXPECT_EQ(tags, (std::set<std::string>{"keepsake-db:" + made[0].filename,
                                         "keepsake-db-sha256:" + *sha256,
                                         "keepsake-missing-irreplaceable:0",
                                         "keepsake-missing-regenerable:0", "keepsake-orphans:0"}));
  EXPECT_TRUE(fs::exists(data_dir() + "/files/scans/" + snapshots[0]["id"].get<std::string>() +
                         ".json"));

  auto list = files({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, made[0].filename)) << list.out;
  EXPECT_TRUE(has(list.out, "1 snapshots")) << list.out;

  auto check = files({"check", "--read-data-percent", "100"});
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;

  std::string restored = tmp_.path() + "/restored";
  auto restore = files({"restore", "latest", "--target", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_FALSE(fs::exists(restored + "/thumbs")) << "thumbs/ is not covered by default";
  EXPECT_TRUE(fs::exists(restored + "/backups/" + made[0].filename));
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
  EXPECT_EQ(library_points().size(), 1u);
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
  EXPECT_EQ(library_points().size(), 0u) << "nor is it a library point";

  auto next = files({"backup"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(restic_snapshots().size(), 1u);
  auto check = files({"check", "--read-data-percent", "100"});
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;
  EXPECT_EQ(library_points().size(), 1u);
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

TEST_F(FilesCliTest, ALockedRepositoryGivesOneClearErrorAndTheLibraryIsUntouched) {
  init_and_back_up();
  // Another restic holds the repository: a backup of standard input, waiting for its data.
  std::string fifo = tmp_.path() + "/stdin";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ProcessResult other;
  std::thread holder([&] {
    ProcessOptions o;
    o.argv = {"restic", "--repo", repo(), "--no-cache", "backup", "--stdin", "--host", "laptop"};
    o.env = minimal_environment({{"RESTIC_PASSWORD_FILE", password_file()}});
    o.stdin_file = fifo;
    other = run_process(o);
  });
  int writer = ::open(fifo.c_str(), O_WRONLY);  // returns once restic has its standard input
  struct Release {  // ends the other restic's input and waits for it, also when an assertion fails
    int& fd;
    std::thread& t;
    ~Release() {
      if (fd >= 0) ::close(fd);
      if (t.joinable()) t.join();
    }
  } release{writer, holder};
  ASSERT_GE(writer, 0);
  auto locked = [&] { return !fs::is_empty(repo() + "/locks"); };
  for (int i = 0; i < 600 && !locked(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(locked()) << "the other restic never took its lock";
  auto points = library_points();

  const std::string error = "keepsake: error: the restic repository " + repo() +
                            " is locked (another restic process uses it; if none does, remove stale "
                            "locks with `restic unlock`)\n";
  auto check = files({"check"});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_EQ(check.err, error);
  auto forget = files({"forget", "--keep-last", "1"});
  EXPECT_NE(forget.exit_code, 0);
  EXPECT_EQ(forget.err, error);
  // A backup shares the repository with the other restic; only the tagging of its snapshot needs
  // it alone, so it snapshots again with its tags and leaves the first snapshot pending.
  auto backup = files({"backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_TRUE(has(backup.err, "stays pending (no library point); snapshotting again with its tags")) << backup.err;
  EXPECT_EQ(library_points().size(), points.size() + 1);
  points = library_points();

  ASSERT_EQ(::write(writer, "held\n", 5), 5);
  ::close(writer);
  writer = -1;
  holder.join();
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(library_points(), points) << "nothing forgotten";
  EXPECT_EQ(keepsake({"storage", "verify", "--all"}).exit_code, 0) << "the media folder is untouched";
  EXPECT_EQ(files({"check"}).exit_code, 0) << "free again";
}

TEST_F(FilesCliTest, ARepositoryInsideTheMediaFolderIsRefused) {
  auto r = files({"init", "--repo", media() + "/library/restic"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "lies inside the media location")) << r.err;
  EXPECT_FALSE(fs::exists(media() + "/library/restic"));
}

void flip_byte(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(5);
  char c = static_cast<char>(f.get());
  f.seekp(5);
  f.put(static_cast<char>(c ^ 0x01));
}

void truncate_half(const std::string& path) {
  fs::resize_file(path, fs::file_size(path) / 2);
}

std::set<std::pair<std::string, std::string>> findings_of(const std::string& verify_json) {
  std::set<std::pair<std::string, std::string>> out;
  auto report = nlohmann::json::parse(verify_json);
  for (const auto& f : report["findings"]) {
    out.insert({f["path"].get<std::string>(), f["problem"].get<std::string>()});
  }
  return out;
}

TEST_F(FilesCliTest, RestoreLibraryBringsTheDatabaseAndTheFilesBackAndProvesEverySha1) {
  init_and_back_up();
  auto points = library_points();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0]["database"]["state"], "verified");
  EXPECT_EQ(points[0]["files"]["checked"], false);
  ASSERT_EQ(files({"check"}).exit_code, 0);
  EXPECT_EQ(library_points()[0]["files"]["checked"], true);
  auto text = keepsake({"backup", "list"});
  EXPECT_TRUE(has(text.out, "1 library points")) << text.out;

  auto all = originals();
  std::vector<std::string> paths;
  for (const auto& [id, original] : all) paths.push_back(original.first);
  ASSERT_TRUE(fs::remove(paths[0]) && fs::remove(paths[1]));
  flip_byte(paths[2]);
  truncate_half(paths[3]);
  std::string extra = fs::path(paths[4]).parent_path() / "added-after-the-point.jpg";
  std::ofstream(extra) << "not in the snapshot";
  auto verify = keepsake({"storage", "verify", "--all", "--json"});
  EXPECT_EQ(verify.exit_code, 1) << verify.err;
  EXPECT_EQ(findings_of(verify.out),
            (std::set<std::pair<std::string, std::string>>{{paths[0], "missing"},
                                                          {paths[1], "missing"},
                                                          {paths[2], "damaged"},
                                                          {paths[3], "damaged"}}));
  conn_->exec(R"(UPDATE "user" SET name = 'changed after the point')");
  auto db_backup = points[0]["database"]["filename"].get<std::string>();
  fs::remove(backup::backups_folder(media()) + "/" + db_backup);  // the snapshot still holds it
  conn_.reset();  // the restore swaps the database: no other client

  auto restore = keepsake({"restore", "--library", points[0]["id"], "--yes", "--delete-extra"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err << restore.out;
  EXPECT_TRUE(has(restore.out, "Fetched " + db_backup)) << restore.out;
  EXPECT_TRUE(has(restore.out, "4 files written")) << restore.out;
  EXPECT_TRUE(has(restore.out, "Proof: all ")) << restore.out;
  EXPECT_FALSE(fs::exists(extra));
  EXPECT_EQ(fs::exists(media() + "/.keepsake-extras"), true) << "extras are moved aside";

  conn_ = db::Connection::open(db_config_);
  EXPECT_EQ(conn_->exec(R"(SELECT count(*) FROM "user" WHERE name = 'changed after the point')")
                .int64(0, 0),
            0);
  std::vector<char> buffer;
  for (const auto& [id, original] : originals()) {
    auto d = storage::sha1_of_file(original.first, buffer);
    ASSERT_TRUE(d.sha1) << original.first;
    EXPECT_EQ(*d.sha1, original.second) << id;
  }
  EXPECT_EQ(keepsake({"restore", "cleanup"}).exit_code, 0);
}

TEST_F(FilesCliTest, RepairTakesEachFileFromTheNewestGoodCopyAndForgetKeepsTheLastPoints) {
  init_and_back_up();
  auto first = restic_snapshots()[0]["short_id"].get<std::string>();
  auto all = originals();
  std::vector<std::string> paths;
  for (const auto& [id, original] : all) paths.push_back(original.first);
  flip_byte(paths[0]);  // damaged before the second snapshot: only the first holds it good
  ASSERT_EQ(files({"backup"}).exit_code, 0);
  ASSERT_TRUE(fs::remove(paths[1]));
  std::string extra = fs::path(paths[2]).parent_path() / "mine.txt";
  std::ofstream(extra) << "mine";

  auto repair = files({"restore", "--repair"});
  ASSERT_EQ(repair.exit_code, 0) << repair.err << repair.out;
  EXPECT_TRUE(has(repair.out, "repaired " + paths[0] + " (from snapshot " + first + " in " + repo() + ")"))
      << repair.out;
  EXPECT_TRUE(has(repair.out, "repaired " + paths[1])) << repair.out;
  EXPECT_TRUE(has(repair.out, "2 files repaired, 0 without a good copy")) << repair.out;
  EXPECT_TRUE(fs::exists(extra));
  EXPECT_EQ(keepsake({"storage", "verify", "--all"}).exit_code, 0);

  ASSERT_EQ(files({"backup"}).exit_code, 0);
  auto forget = files({"forget", "--keep-last", "2"});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_TRUE(has(forget.out, "1 snapshots forgotten and pruned, 2 kept")) << forget.out;
  EXPECT_EQ(restic_snapshots().size(), 2u);
  EXPECT_EQ(library_points().size(), 2u);
  EXPECT_EQ(files({"check", "--read-data-percent", "100"}).exit_code, 0);
}

}  // namespace
}  // namespace keepsake::files
