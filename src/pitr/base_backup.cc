// Base backups: pg_basebackup (tar, zstd, WAL streamed in, a manifest), then pg_verifybackup on
// an unpacked copy (PostgreSQL 15 verifies only plain backups), then the record.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kBackupTimeout = std::chrono::hours(12);

void read_wal_range(const std::string& manifest, BaseBackupInfo& info) {
  std::ifstream in(manifest);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("WAL-Ranges") || j["WAL-Ranges"].empty()) {
    throw Error(ErrorKind::kCorrupt, "the base backup's manifest has no WAL range: " + manifest);
  }
  info.start_lsn = j["WAL-Ranges"].front().value("Start-LSN", "");
  info.end_lsn = j["WAL-Ranges"].back().value("End-LSN", "");
}

void verify(const std::string& folder, int major) {
  std::string scratch = folder + ".verify";
  fs::remove_all(scratch);
  make_private_folder(scratch);
  try {
    unpack_base_backup(folder, scratch);
    auto r = run_tool({tool_path("pg_verifybackup", major), "--quiet", "-m", folder + "/backup_manifest", scratch},
                      minimal_environment(), kBackupTimeout);
    if (!r.ok()) {
      throw Error(ErrorKind::kCorrupt, "pg_verifybackup rejected the base backup: " + last_line(r.err + r.out),
                  "the backup was removed; check the disk of " + folder);
    }
  } catch (...) {
    fs::remove_all(scratch);
    throw;
  }
  fs::remove_all(scratch);
}

std::string unique_folder(const Archive& archive, const std::string& name) {
  std::string folder = archive.base_dir() + "/" + name;
  for (int i = 2; fs::exists(folder); ++i) folder = archive.base_dir() + "/" + name + "-" + std::to_string(i);
  return folder;
}

// Only one base backup runs at a time (the lock), so a .partial folder is a stopped run's.
void remove_unfinished(const Archive& archive) {
  if (!fs::exists(archive.base_dir())) return;
  for (auto& e : fs::directory_iterator(archive.base_dir())) {
    if (!e.is_directory() || e.path().extension() != ".partial") continue;
    spdlog::info("PITR: removing {}, a base backup that was stopped before it finished", e.path().string());
    fs::remove_all(e.path());
  }
}

BaseBackupInfo make_base_backup(const DatabaseConfig& db, const Archive& archive) {
  remove_unfinished(archive);
  int major = db::Connection::open(db)->server_version_num() / 10000;
  BaseBackupInfo info;
  std::string folder = unique_folder(archive, stamp(std::chrono::system_clock::now()));
  info.name = fs::path(folder).filename().string();
  std::string tmp = folder + ".partial";
  fs::remove_all(tmp);
  info.start_us = now_us();
  spdlog::info("PITR: taking base backup {}", info.name);
  auto r = run_tool({tool_path("pg_basebackup", major), "-D", tmp, "-Ft", "--compress=client-zstd:1", "-X",
                     "stream", "--checkpoint=fast", "--label", "keepsake-pitr-" + info.name, "--no-password"},
                    tool_env(db), kBackupTimeout);
  if (!r.ok()) {
    fs::remove_all(tmp);
    throw Error(ErrorKind::kUnavailable, "pg_basebackup failed: " + last_line(r.err),
                "`keepsake pitr enable` checks the server's settings and prints what is missing");
  }
  info.end_us = now_us();
  try {
    fault::point("pitr.base-backup.taken");
    read_wal_range(tmp + "/backup_manifest", info);
    verify(tmp, major);
    fault::point("pitr.base-backup.verified");
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
  info.verified = true;
  info.verified_us = now_us();
  fs::rename(tmp, folder);
  for (auto& e : fs::directory_iterator(folder)) info.size += e.is_regular_file() ? e.file_size() : 0;
  info.seconds = static_cast<double>(info.verified_us - info.start_us) / 1e6;
  archive.write_base_record(folder, info);
  spdlog::info("PITR: base backup {} verified ({} bytes, WAL {} to {}, {:.1f} s)", info.name, info.size,
               info.start_lsn, info.end_lsn, info.seconds);
  return info;
}

}  // namespace

void make_private_folder(const std::string& path) {
  fs::create_directories(path);
  fs::permissions(path, fs::perms::owner_all);
  if (auto user = postgres_run_as()) chown_recursive(path, *user);
}

void unpack_base_backup(const std::string& folder, const std::string& data_dir) {
  // pg_basebackup names each tar file by its compression: zstd (base.tar.zst, and pg_wal.tar
  // left plain), or gzip (both .tar.gz: base backups taken before zstd became the default).
  auto untar = [&](const std::string& stem, const std::string& into) {
    for (auto [suffix, flag] : {std::pair{".tar.zst", "--zstd"}, {".tar.gz", "--gzip"}, {".tar", ""}}) {
      std::string file = folder + "/" + stem + suffix;
      if (!fs::exists(file)) continue;
      std::vector<std::string> argv = {"tar", "-xf", file, "-C", into};
      if (*flag) argv.insert(argv.begin() + 1, flag);
      auto r = run_tool(argv, minimal_environment(), kBackupTimeout);
      if (!r.ok()) throw Error(ErrorKind::kCorrupt, "cannot unpack " + file + ": " + last_line(r.err));
      return;
    }
    throw Error(ErrorKind::kCorrupt, "the base backup " + folder + " holds no " + stem + ".tar",
                "take a new one with `keepsake pitr backup`");
  };
  untar("base", data_dir);
  make_private_folder(data_dir + "/pg_wal");
  untar("pg_wal", data_dir + "/pg_wal");
}

BaseBackupInfo take_base_backup(const DatabaseConfig& db, const std::string& archive_dir) {
  auto held = db::try_lock(db, db::DatabaseLock::PitrBaseBackup);
  if (!held) {
    throw Error(ErrorKind::kConflict, "another base backup is running (a `keepsake serve` or another `keepsake pitr` "
                "holds the base-backup lock)", "wait for it to finish; `keepsake pitr status` shows the newest");
  }
  return take_base_backup(db, archive_dir, *held);
}

BaseBackupInfo take_base_backup(const DatabaseConfig& db, const std::string& archive_dir, const db::HeldLock&) {
  Archive archive(archive_dir);
  if (!archive.read_state()) {
    throw Error(ErrorKind::kNotFound, "PITR is not enabled for " + archive_dir, "run `keepsake pitr enable`");
  }
  try {
    auto info = make_base_backup(db, archive);
    archive.clear_failure();
    return info;
  } catch (const std::exception& e) {
    spdlog::error("PITR: base backup failed: {}", e.what());
    archive.record_failure(e.what());
    throw;
  }
}

}  // namespace keepsake::pitr
