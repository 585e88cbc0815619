// Benchmark "backup": `keepsake backup create` (pg_dump streamed into in-process ISA-L gzip level
// 1, fsync, full verification, .sha256 sidecar) against Immich's pipeline
// `pg_dump --clean --if-exists | gzip --rsyncable > f` (anchor A) and against the dump alone
// `pg_dump --clean --if-exists > /dev/null` (anchor B, the floor), on one seeded library with
// its embeddings (they are most of the dump). Wall time, CPU (user + sys of the child processes)
// and output size. Targets (issue 7): >= 8x faster than Immich's pipeline, within 1.3x of the
// dump alone, a file no more than 1.15x the size of `gzip -6`'s (measured once in prepare()).
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>

#include "backup/pg_tools.h"
#include "common/error.h"
#include "db/connection.h"
#include "harness.h"

namespace keepsake::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kGzip = "/usr/bin/gzip";

// Runs argv[0] | argv[1] | ... > out_file (no shell), each stage with exactly `env`; stderr is
// inherited. Throws naming the first stage that failed.
void run_pipeline(const std::vector<std::vector<std::string>>& stages,
                  const std::map<std::string, std::string>& env, const std::string& out_file) {
  std::vector<std::string> env_text;
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || in < 0) throw Error(ErrorKind::kIo, "cannot open " + out_file);
  std::vector<pid_t> pids;
  int prev = in;
  for (size_t i = 0; i < stages.size(); ++i) {
    bool last = i + 1 == stages.size();
    int p[2] = {-1, -1};
    if (!last && ::pipe2(p, O_CLOEXEC) != 0) throw Error(ErrorKind::kIo, "pipe failed");
    int stage_out = last ? out : p[1];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, prev, 0);
    posix_spawn_file_actions_adddup2(&fa, stage_out, 1);
    std::vector<std::string> args = stages[i];
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw Error(ErrorKind::kIo, "cannot start " + stages[i][0]);
    pids.push_back(pid);
    ::close(prev);
    if (!last) ::close(p[1]);
    prev = last ? -1 : p[0];
  }
  ::close(out);
  std::string failed;
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    while (::waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
    }
    if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) && failed.empty()) failed = stages[i][0];
  }
  if (!failed.empty()) throw Error(ErrorKind::kIo, failed + " failed in the pipeline");
}

double file_size(const std::string& path) { return static_cast<double>(fs::file_size(path)); }

std::string size_text(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, bytes >= 1e9 ? "%.3f GB" : "%.1f MB", bytes >= 1e9 ? bytes / 1e9 : bytes / 1e6);
  return buf;
}

class BackupBench : public Benchmark {
 public:
  std::string name() const override { return "backup"; }
  std::string title() const override {
    return "backup — `keepsake backup create` vs Immich's `pg_dump | gzip --rsyncable` vs the "
           "dump alone";
  }
  std::string description() const override {
    return "One library is seeded once (`keepsake dev seed --no-vector-indexes`: every table "
           "with its 512-d embeddings, which are most of the dump; the two HNSW indexes are left "
           "out because building them for this many vectors takes hours on 2 cores and pg_dump "
           "writes only their definitions, two lines). Every way dumps that same database with "
           "the same pg_dump (the one matching the server's major version) and the same "
           "arguments. Keepsake: the whole `keepsake backup create` process — lock 42, pg_dump "
           "--clean --if-exists streamed into in-process ISA-L gzip (level 1) in "
           "`<media>/backups/<name>.tmp`, fsync, **full verification** (decompression, CRC, "
           "length, pg_dump's completion trailer, SHA-256), `.sha256` sidecar, rename, folder "
           "fsync, retention. Anchor A, Immich v2.7.5's pipeline: `pg_dump --clean --if-exists | "
           "gzip --rsyncable > f` (gzip's default level 6; Immich neither fsyncs nor verifies). "
           "Anchor B, the floor: `pg_dump --clean --if-exists > /dev/null`. CPU is user + sys of "
           "the child processes (getrusage RUSAGE_CHILDREN around each run: keepsake with its "
           "pg_dump, or pg_dump and gzip); the PostgreSQL server's own CPU is in none of them. "
           "Files are deleted after each run (untimed). Targets (issue 7): at least 8× faster "
           "than Immich's pipeline, within 1.3× of the dump alone, and a file no more than 1.15× "
           "the size of `gzip -6`'s (plain `pg_dump | gzip -6` of the same database, once, "
           "before the runs).";
  }
  int64_t default_size() const override { return 200000; }
  std::string size_unit() const override { return "assets"; }
  std::string keepsake_label() const override { return "`keepsake backup create`"; }
  // "\\|": a literal | inside a markdown table cell.
  std::string anchor_label() const override {
    return "`pg_dump --clean --if-exists \\| gzip --rsyncable > f`";
  }
  std::string second_anchor_label() const override {
    return "`pg_dump --clean --if-exists > /dev/null`";
  }
  std::optional<double> target_ratio() const override { return 8.0; }
  std::string target_ratio_text() const override { return "≥ 8× faster than Immich's pipeline"; }
  std::optional<double> second_target_ratio() const override { return 1.0 / 1.3; }
  std::string second_target_ratio_text() const override {
    return "within 1.3× of the dump alone (Keepsake ≤ 1.3 × dump)";
  }

  void prepare(BenchEnv& env, int64_t size) override {
    SeededLibrary lib = env.seeded_library(library_seed_args(size, "--no-vector-indexes"));
    db_ = lib.dbname;
    auto conn = db::Connection::open(env.database(db_));
    int major = std::atoi(conn->exec("SHOW server_version_num").text(0, 0).c_str()) / 10000;
    pg_dump_ = backup::find_pg_tool("pg_dump", major).path;
    vectors_ = conn->exec("SELECT (SELECT count(*) FROM smart_search) + (SELECT count(*) FROM "
                          "face_search)").int64(0, 0);
    database_bytes_ = conn->exec("SELECT pg_database_size(current_database())").int64(0, 0);
    conn.reset();
    media_ = env.work_dir() + "/media";
    fs::create_directories(media_);
    std::string f = env.work_dir() + "/gzip6.sql.gz";
    std::cerr << "  measuring gzip -6's size once\n";
    run_pipeline({{pg_dump_, "--clean", "--if-exists"}, {kGzip, "-6"}}, dump_env(env), f);
    gzip6_bytes_ = file_size(f);
    fs::remove(f);
  }

  Measurement run_keepsake(BenchEnv& env, int64_t) override {
    auto e = env.keepsake_env(db_);
    e["IMMICH_MEDIA_LOCATION"] = media_;
    double cpu0 = children_cpu_seconds();
    auto start = Clock::now();
    ProcessResult r = env.run({env.keepsake_binary(), "backup", "create"}, e);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = children_cpu_seconds() - cpu0;
    std::string path = r.out.substr(0, r.out.find('\n'));
    if (path.empty() || !fs::exists(path)) {
      throw Error(ErrorKind::kInternal, "keepsake backup create printed no file: " + r.out);
    }
    double bytes = file_size(path);
    last_output_ = r.out;
    std::smatch m;
    if (std::regex_search(r.out, m, std::regex(R"(\(SQL ([^)]+)\))"))) sql_size_ = m[1].str();
    fs::remove(path);
    fs::remove(path + ".sha256");
    keepsake_bytes_.push_back(bytes);
    return {s, 0, cpu, bytes};
  }

  Measurement run_anchor(BenchEnv& env, int64_t) override {
    std::string f = env.work_dir() + "/immich.sql.gz";
    double cpu0 = children_cpu_seconds();
    auto start = Clock::now();
    run_pipeline({{pg_dump_, "--clean", "--if-exists"}, {kGzip, "--rsyncable"}}, dump_env(env), f);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = children_cpu_seconds() - cpu0;
    double bytes = file_size(f);
    fs::remove(f);
    immich_bytes_ = bytes;
    return {s, 0, cpu, bytes};
  }

  Measurement run_second_anchor(BenchEnv& env, int64_t) override {
    double cpu0 = children_cpu_seconds();
    auto start = Clock::now();
    env.run({pg_dump_, "--clean", "--if-exists"}, dump_env(env), "/dev/null");
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    return {s, 0, children_cpu_seconds() - cpu0, -1};
  }

  std::vector<std::string> commands(int64_t size) const override {
    return {"# once: " + seed_command(library_seed_args(size, "--no-vector-indexes")),
            "# once (size reference): pg_dump --clean --if-exists | gzip -6 > gzip6.sql.gz",
            "# PGHOST/PGPORT/PGUSER/PGDATABASE in a minimal environment for every pg_dump",
            "DB_URL=postgresql://postgres@localhost/DB?host=SOCKET&port=PORT "
            "IMMICH_MEDIA_LOCATION=WORK/media keepsake backup create",
            "pg_dump --clean --if-exists | gzip --rsyncable > immich.sql.gz",
            "pg_dump --clean --if-exists > /dev/null"};
  }

  std::vector<std::string> findings() const override {
    std::vector<double> sizes = keepsake_bytes_;
    double k = summarize(sizes).max;
    char line[400];
    std::snprintf(line, sizeof line,
                  "Size: Keepsake's file %s (largest run), `gzip -6` %s, Immich's "
                  "`gzip --rsyncable` %s; Keepsake / gzip -6 = **%.3f×**. Target: ≤ 1.15× "
                  "gzip -6's size — %s.",
                  size_text(k).c_str(), size_text(gzip6_bytes_).c_str(),
                  size_text(immich_bytes_).c_str(),
                  gzip6_bytes_ > 0 ? k / gzip6_bytes_ : 0.0,
                  gzip6_bytes_ > 0 && k <= 1.15 * gzip6_bytes_ ? "**met**" : "**missed**");
    std::string library = "Library: " + std::to_string(vectors_) +
                          " embeddings (smart_search + face_search); database size " +
                          std::to_string(database_bytes_ / 1000000) + " MB; SQL dump " +
                          sql_size_ + ". Output of Keepsake's last run:\n\n```\n" + last_output_ +
                          "```";
    return {line, library};
  }

 private:
  std::map<std::string, std::string> dump_env(BenchEnv& env) const {
    return minimal_environment(env.database(db_).libpq_env());
  }

  std::string db_, pg_dump_, media_, last_output_, sql_size_ = "?";
  int64_t vectors_ = 0, database_bytes_ = 0;
  double gzip6_bytes_ = 0, immich_bytes_ = 0;
  std::vector<double> keepsake_bytes_;
};

KEEPSAKE_BENCHMARK(BackupBench);

}  // namespace
}  // namespace keepsake::bench
