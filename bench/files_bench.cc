// Benchmark "files" (issue 18): the media folder's backup with `keepsake files backup` (restic,
// after the database-vs-disk scan) next to Immich's documented borg template (`borg create` of the
// media folder without thumbs/ and encoded-video/) and `rsync -a` to a local folder, in the same
// run: the first backup, a backup with nothing changed, and one after 1% more files. Then
// `keepsake storage verify --all` (every original against asset.checksum) in MB/s next to
// `sha1sum` over the same files. Targets: the first and the no-change backup no slower than borg's;
// verify within 1.2x of sha1sum's throughput. Also what each backup read (rchar of the way's
// processes): a no-change backup must not read the unchanged files again.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <utility>
#include <vector>

#include "common/error.h"
#include "harness.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "bench-repository-password";
// Photos of a realistic size in library/ (backed up by every way; the verify copy's first originals
// point at them), so that a first backup has real content to read and verify's MB/s means reading.
constexpr int kLargeOriginals = 256;
constexpr size_t kLargeBytes = 4 << 20;
constexpr const char* kLargeFolder = "library/bench-photos";

enum Tool { kKeepsake, kBorg, kRsync, kToolCount };
constexpr const char* kToolLabels[] = {"`keepsake files backup` (restic)", "borg create (Immich's template)", "rsync -a"};
enum Step { kFirst, kNoChange, kAdded, kStepCount };
constexpr const char* kStepLabels[] = {"first backup", "no change", "after +1% files"};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Bytes read through read(2) and its kin by this process and every child it has waited for (and
// theirs): the kernel adds a reaped child's I/O counters to its parent's.
double bytes_read_so_far() {
  std::ifstream io("/proc/self/io");
  std::string key;
  double value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

std::string sha1_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

class FilesBench : public Benchmark {
 public:
  std::string name() const override { return "files"; }
  std::string title() const override { return "files — the media folder's backup and checksum verification"; }
  std::string description() const override {
    return "A library seeded with a file behind every row (`dev seed --files`: small stand-in "
           "originals and sidecars), plus " + std::to_string(kLargeOriginals) + " photos of 4 MiB "
           "(random bytes) in library/. Each way backs up the folders Immich's borg template covers "
           "(the media folder without thumbs/ and encoded-video/) into a fresh local repository or "
           "folder: the first backup, again with nothing changed, then after 1% more files were "
           "added to upload/ (4 KiB each). Keepsake's way includes what it does before every "
           "snapshot: the database-vs-disk scan and the check of the database backup it pairs with. restic and borg encrypt (restic: always; borg: repokey-blake2) "
           "and compress by default; rsync copies. Caches (restic's, borg's) live in the run's own "
           "folder, so the no-change backup uses them as a user's second night would. \"Read\" is "
           "what the way's processes read (rchar of /proc: files, repository, cache, pipes; the "
           "page cache serves most of it). Verify: " +
           std::to_string(kLargeOriginals) + " originals of a copy of the database are pointed at "
           "the 4 MiB photos (checksums updated), then `keepsake storage verify --all` "
           "reads every original and compares its SHA-1, next to `sha1sum` over the same list of "
           "files; both after a warm-up read, so both read from the page cache.";
  }
  int64_t default_size() const override { return 100000; }
  std::string size_unit() const override { return "assets (one original each, plus sidecars)"; }
  int default_runs() const override { return 2; }

  void prepare(BenchEnv& env, int64_t size) override {
    lib_ = env.seeded_library(library_seed_args(size, "--files --no-embeddings"));
    media_ = lib_.media_location;
    // `files backup` pairs each snapshot with a verified database backup (making one when there is
    // none): one exists before the clock, as after any night, and every way backs it up.
    if (!fs::exists(media_ + "/backups") || fs::is_empty(media_ + "/backups")) {
      env.run({env.keepsake_binary(), "backup", "create"}, tool_environment(env, env.work_dir() + "/prepare"));
    }
    write_large_photos();
    for (const char* folder : {"library", "upload", "profile", "backups"}) {
      if (!fs::exists(media_ + "/" + folder)) continue;
      for (const auto& e : fs::recursive_directory_iterator(media_ + "/" + folder)) {
        if (e.is_regular_file()) {
          ++covered_files_;
          covered_bytes_ += static_cast<double>(e.file_size());
        }
      }
    }
    prepare_verify_copy(env);
  }

  std::optional<std::string> own_results(BenchEnv& env, int64_t, int runs) override {
    std::vector<double> times[kToolCount][kStepCount], read[kToolCount][kStepCount];
    for (int run = 0; run < runs; ++run) {
      for (int i = 0; i < kToolCount; ++i) {
        Tool tool = static_cast<Tool>(run % 2 == 0 ? i : kToolCount - 1 - i);  // K B R, R B K, ...
        std::cerr << "  run " << run + 1 << ": " << kToolLabels[tool] << "\n";
        auto t = backup_three_times(env, tool, run);
        for (int s = 0; s < kStepCount; ++s) {
          times[tool][s].push_back(t[s].seconds);
          read[tool][s].push_back(t[s].bytes_read);
        }
      }
    }
    std::vector<double> verify_mbs, sha1_mbs;
    run_verify_once(env);  // warm-up: the page cache holds every file for both
    for (int run = 0; run < runs; ++run) {
      verify_mbs.push_back(run_verify_once(env));
      sha1_mbs.push_back(run_sha1sum_once(env));
    }
    return report(times, read, verify_mbs, sha1_mbs, runs);
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# once: " + seed_command(library_seed_args(size, "--files --no-embeddings")) + "; " +
                std::to_string(kLargeOriginals) + " photos of 4 MiB of random bytes in <media>/" + kLargeFolder,
            "keepsake files init --repo <fresh dir>; keepsake files backup   # x3 (RESTIC_PASSWORD set)",
            "borg init --encryption=repokey-blake2 <fresh dir>; borg create <dir>::<n> <media> --exclude <media>/thumbs --exclude <media>/encoded-video   # x3",
            "rsync -a --exclude /thumbs/ --exclude /encoded-video/ <media>/ <fresh dir>/   # x3",
            "keepsake storage verify --all   # DB_URL = the verify copy",
            "xargs -0 sha1sum < <the same originals, NUL-separated> > /dev/null"};
  }

 private:
  struct Timed {
    double seconds = 0, bytes_read = 0;
  };

  // The three timed backups of one tool into a fresh repository; the added files are removed after.
  std::array<Timed, kStepCount> backup_three_times(BenchEnv& env, Tool tool, int run) {
    const std::string dir = env.work_dir() + "/run-" + std::to_string(run) + "-" + std::to_string(tool);
    fs::create_directories(dir);
    auto environment = tool_environment(env, dir);
    if (tool == kKeepsake) env.run({env.keepsake_binary(), "files", "init", "--repo", dir + "/repo"}, environment);
    if (tool == kBorg) env.run({"borg", "init", "--encryption=repokey-blake2", dir + "/repo"}, environment);
    std::array<Timed, kStepCount> t{};
    const std::string added = media_ + "/upload/bench-added";
    for (int s = 0; s < kStepCount; ++s) {
      if (s == kAdded) add_files(added);
      auto start = Clock::now();
      double read_before = bytes_read_so_far();
      backup_once(env, tool, dir, environment, s);
      t[s] = {seconds_since(start), bytes_read_so_far() - read_before};
    }
    fs::remove_all(added);
    fs::remove_all(dir);
    return t;
  }

  std::map<std::string, std::string> tool_environment(BenchEnv& env, const std::string& dir) const {
    auto e = env.keepsake_env(lib_.dbname);
    e["IMMICH_MEDIA_LOCATION"] = media_;
    e["KEEPSAKE_DATA_DIR"] = dir + "/data";
    e["RESTIC_PASSWORD"] = kPassword;
    e["BORG_PASSPHRASE"] = kPassword;
    e["BORG_BASE_DIR"] = dir + "/borg-home";
    return e;
  }

  void backup_once(BenchEnv& env, Tool tool, const std::string& dir, const std::map<std::string, std::string>& e, int step) {
    switch (tool) {
      case kKeepsake: env.run({env.keepsake_binary(), "files", "backup"}, e); break;
      case kBorg:
        env.run({"borg", "create", dir + "/repo::n" + std::to_string(step), media_, "--exclude", media_ + "/thumbs",
                 "--exclude", media_ + "/encoded-video"}, e);
        break;
      default:
        env.run({"rsync", "-a", "--exclude", "/thumbs/", "--exclude", "/encoded-video/", media_ + "/", dir + "/copy/"}, e);
    }
  }

  void add_files(const std::string& folder) const {
    fs::create_directories(folder);
    std::mt19937_64 rng(42);
    std::string content(4096, '\0');
    for (int64_t i = 0; i < covered_files_ / 100; ++i) {
      for (auto& c : content) c = static_cast<char>(rng());
      std::ofstream(folder + "/added-" + std::to_string(i) + ".jpg", std::ios::binary) << content;
    }
  }

  // kLargeOriginals photos of random bytes in kLargeFolder (written before any way runs; the same
  // bytes on every run), with their SHA-1s.
  void write_large_photos() {
    const std::string folder = media_ + "/" + kLargeFolder;
    fs::create_directories(folder);
    std::mt19937_64 rng(7);
    std::string content(kLargeBytes, '\0');
    for (int i = 0; i < kLargeOriginals; ++i) {
      for (auto& c : content) c = static_cast<char>(rng());
      std::string path = folder + "/photo-" + std::to_string(i) + ".jpg";
      std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
      large_photos_.push_back({path, sha1_hex(content)});
    }
  }

  // A copy of the library whose first kLargeOriginals originals are the large photos.
  void prepare_verify_copy(BenchEnv& env) {
    verify_db_ = "files_verify";
    env.copy_database(lib_.dbname, verify_db_);
    auto conn = db::Connection::open(env.database(verify_db_));
    auto ids = conn->exec("SELECT id::text FROM asset WHERE \"deletedAt\" IS NULL ORDER BY id LIMIT " + std::to_string(kLargeOriginals));
    for (int i = 0; i < ids.rows(); ++i) {
      const auto& [path, sha1] = large_photos_[static_cast<size_t>(i)];
      conn->exec("UPDATE asset SET \"originalPath\" = $1, checksum = decode($2, 'hex'), \"checksumAlgorithm\" = 'sha1' WHERE id = $3::uuid",
                 {path, sha1, ids.text(i, 0)});
    }
    auto paths = conn->exec("SELECT \"originalPath\" FROM asset WHERE \"deletedAt\" IS NULL");
    list_file_ = env.work_dir() + "/originals.list";
    std::ofstream list(list_file_, std::ios::binary);
    verify_bytes_ = 0;
    for (int i = 0; i < paths.rows(); ++i) {
      std::string p = paths.text(i, 0);
      list << p << '\0';
      std::error_code ec;
      auto n = fs::file_size(p, ec);
      if (!ec) verify_bytes_ += static_cast<double>(n);
    }
    verify_files_ = paths.rows();
  }

  double run_verify_once(BenchEnv& env) {
    auto e = env.keepsake_env(verify_db_);
    e["IMMICH_MEDIA_LOCATION"] = media_;
    auto start = Clock::now();
    ProcessOptions o;
    o.argv = {env.keepsake_binary(), "storage", "verify", "--all"};
    o.env = minimal_environment(e);
    ProcessResult r = run_process(o);
    double s = seconds_since(start);
    if (!r.ok()) throw Error(ErrorKind::kInternal, "storage verify found problems on the bench copy: " + r.out.substr(0, 2000) + r.err.substr(0, 2000));
    return verify_bytes_ / 1048576 / s;
  }

  double run_sha1sum_once(BenchEnv& env) {
    auto start = Clock::now();
    env.run({"/bin/sh", "-c", "xargs -0 sha1sum < \"$1\" > /dev/null", "sh", list_file_});
    return verify_bytes_ / 1048576 / seconds_since(start);
  }

  std::string report(std::vector<double> (&times)[kToolCount][kStepCount],
                     std::vector<double> (&read)[kToolCount][kStepCount], const std::vector<double>& verify_mbs,
                     const std::vector<double>& sha1_mbs, int runs) const {
    std::ostringstream md;
    md << "Covered: " << covered_files_ << " files, " << fixed_text(covered_bytes_ / 1048576, 1) << " MiB; "
       << runs << " runs per way, alternating.\n\n| way | " << kStepLabels[0] << " | " << kStepLabels[1] << " | "
       << kStepLabels[2] << " |\n|---|---:|---:|---:|\n";
    for (int tool = 0; tool < kToolCount; ++tool) {
      md << "| " << kToolLabels[tool];
      for (int s = 0; s < kStepCount; ++s) {
        Summary sum = summarize(times[tool][s]);
        md << " | " << fixed_text(sum.median, 2) << " s (" << fixed_text(sum.min, 2) << "–" << fixed_text(sum.max, 2) << ")";
      }
      md << " |\n";
    }
    md << "\n| ratio (median) | " << kStepLabels[0] << " | " << kStepLabels[1] << " | " << kStepLabels[2]
       << " |\n|---|---:|---:|---:|\n";
    for (int anchor : {kBorg, kRsync}) {
      md << "| " << kToolLabels[anchor] << " / Keepsake";
      for (int s = 0; s < kStepCount; ++s) {
        md << " | " << fixed_text(summarize(times[anchor][s]).median / summarize(times[kKeepsake][s]).median, 2) << "×";
      }
      md << " |\n";
    }
    md << "\n| read (MiB, median) | " << kStepLabels[0] << " | " << kStepLabels[1] << " | " << kStepLabels[2]
       << " |\n|---|---:|---:|---:|\n";
    for (int tool = 0; tool < kToolCount; ++tool) {
      md << "| " << kToolLabels[tool];
      for (int s = 0; s < kStepCount; ++s) md << " | " << fixed_text(summarize(read[tool][s]).median / 1048576, 1);
      md << " |\n";
    }
    double first_s = summarize(times[kKeepsake][kFirst]).median, again_s = summarize(times[kKeepsake][kNoChange]).median;
    double first_read = summarize(read[kKeepsake][kFirst]).median, again_read = summarize(read[kKeepsake][kNoChange]).median;
    md << "\nUnchanged files are not read again: Keepsake's no-change backup read " << fixed_text(again_read / 1048576, 1)
       << " MiB (" << fixed_text(100 * again_read / first_read, 1) << " % of the first backup's "
       << fixed_text(first_read / 1048576, 1) << " MiB; the library holds " << fixed_text(covered_bytes_ / 1048576, 1)
       << " MiB) and took " << fixed_text(100 * again_s / first_s, 0) << " % of its time.\n";
    auto met = [](bool ok) { return ok ? "**met**" : "**missed**"; };
    double first = summarize(times[kBorg][kFirst]).median / summarize(times[kKeepsake][kFirst]).median;
    double again = summarize(times[kBorg][kNoChange]).median / summarize(times[kKeepsake][kNoChange]).median;
    double verify = summarize(verify_mbs).median, sha1 = summarize(sha1_mbs).median;
    md << "\nTarget: first backup no slower than borg's: " << met(first >= 1.0) << " (borg / Keepsake "
       << fixed_text(first, 2) << "×); no-change backup no slower than borg's: " << met(again >= 1.0) << " ("
       << fixed_text(again, 2) << "×).\n\n| verify (" << verify_files_ << " originals, " << fixed_text(verify_bytes_ / 1048576, 0)
       << " MiB) | MB/s (median, min–max) |\n|---|---:|\n| `keepsake storage verify --all` | " << fixed_text(verify, 0)
       << " (" << fixed_text(summarize(verify_mbs).min, 0) << "–" << fixed_text(summarize(verify_mbs).max, 0) << ") |\n| `sha1sum` | "
       << fixed_text(sha1, 0) << " (" << fixed_text(summarize(sha1_mbs).min, 0) << "–" << fixed_text(summarize(sha1_mbs).max, 0)
       << ") |\n\nTarget: verify within 1.2× of sha1sum's throughput: " << met(sha1 / verify <= 1.2) << " (sha1sum / Keepsake "
       << fixed_text(sha1 / verify, 2) << "×).\n";
    return md.str();
  }

  SeededLibrary lib_;
  std::string media_, verify_db_, list_file_;
  std::vector<std::pair<std::string, std::string>> large_photos_;  // path, SHA-1 (hex)
  int64_t covered_files_ = 0;
  double covered_bytes_ = 0, verify_bytes_ = 0;
  int verify_files_ = 0;
};

}  // namespace

KEEPSAKE_BENCHMARK(FilesBench);

}  // namespace keepsake::bench
