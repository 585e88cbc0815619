// The PITR archive on disk (layout in docs/PITR.md): the state file, the base backups' records,
// the restore-point journal, the WAL segments pg_receivewal writes, and the tools that run there
// (as the 'postgres' user when Keepsake is root, bounded in time). Internal to src/pitr/.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"
#include "config/config.h"
#include "pitr/pitr.h"

namespace keepsake::pitr {

struct ArchiveState {
  std::string slot = kSlotName;
  std::string system_identifier;
  uint64_t wal_segment_size = 16u << 20;
  int server_major = 0;
  int64_t enabled_us = 0;
  uint32_t timeline = 0;  // the live cluster's timeline adopted after a restore (0: never switched)
};

class Archive {
 public:
  explicit Archive(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string wal_dir() const { return dir_ + "/wal"; }
  std::string base_dir() const { return dir_ + "/base"; }
  std::string restore_dir() const { return dir_ + "/restore"; }
  std::string abandoned_dir() const { return dir_ + "/abandoned"; }
  std::string state_file() const { return dir_ + "/pitr.json"; }
  std::string journal_file() const { return dir_ + "/restore-points.json"; }
  std::string disabled_state_file() const { return dir_ + "/pitr-disabled.json"; }
  std::string failure_file() const { return dir_ + "/base-backup-failure.json"; }
  std::string enable_failure_file() const { return dir_ + "/enable-failure.json"; }

  // Creates the folders and hands them to the postgres user when Keepsake is root.
  void create() const;
  std::optional<ArchiveState> read_state() const;
  void write_state(const ArchiveState& state) const;

  // Base backups with a record, oldest first.
  std::vector<BaseBackupInfo> base_backups() const;
  void write_base_record(const std::string& folder, const BaseBackupInfo& info) const;

  std::vector<RestorePoint> restore_points() const;
  void add_restore_point(const RestorePoint& point) const;
  // Removes the journal's points before `lsn`; returns how many.
  int drop_restore_points_before(uint64_t lsn) const;
  // Moves the journal's points after `lsn` made before `made_before_us` into the journal file
  // `to`; returns how many.
  int move_restore_points_after(uint64_t lsn, int64_t made_before_us, const std::string& to) const;

  // The last base backup's failure (until one succeeds): its time and message.
  void record_failure(const std::string& message) const;
  void clear_failure() const;
  std::optional<std::pair<int64_t, std::string>> failure() const;
  // serve's last failure to enable the archive of the embedded cluster (until enabled).
  void record_enable_failure(const std::string& message) const;
  std::optional<std::pair<int64_t, std::string>> enable_failure() const;

  uint64_t space_used() const;

 private:
  std::string dir_;
};

// ---- WAL segment names -----------------------------------------------------------------------

struct Segment {
  uint32_t timeline = 0;
  uint64_t number = 0;   // segment number (LSN / segment size)
  bool partial = false;
  std::string file;      // file name in wal/
  int64_t mtime_us = 0;
};

// The segments in wal/ (also .partial), by timeline then number. Ignores other files.
std::vector<Segment> list_segments(const std::string& wal_dir, uint64_t segment_size);
// A segment's file name, "000000020000000000000003". Pure.
std::string segment_file_name(uint32_t timeline, uint64_t number, uint64_t segment_size);
// Parses "0/3000148" into a byte position; nullopt when malformed. Pure.
std::optional<uint64_t> parse_lsn(const std::string& text);
// The first missing segment number after `from`, when there is a gap between `from` and the
// newest segment; a number is present when a complete segment of any timeline holds it (the
// archive keeps one line of history: adopt_timeline sets an undone branch aside), and a .partial
// before the newest segment (never completed) counts as missing. Pure.
std::optional<uint64_t> first_gap(const std::vector<Segment>& segments, uint64_t from);

// ---- timelines -------------------------------------------------------------------------------

// A timeline's history file, as PostgreSQL writes it at a promotion: one line per ancestor,
// "<parent timeline>\t<switch LSN>\t<reason>"; the last line is where this timeline began.
struct TimelineHistory {
  uint32_t timeline = 0;
  uint64_t switch_lsn = 0;
  std::string file;  // its name in pg_wal
  int64_t written_us = 0;
};

// The newest history file in a data folder's pg_wal; nullopt on timeline 1. Throws
// Error(kCorrupt) when it cannot be read.
std::optional<TimelineHistory> newest_history(const std::string& data_dir);
// "0/3000148". Pure.
std::string format_lsn(uint64_t lsn);

// ---- tools -----------------------------------------------------------------------------------

// A tool from /usr/lib/postgresql/<v>/bin for a server of `server_major` (never older).
std::string tool_path(const std::string& tool, int server_major);
// The environment for a tool that connects to `db` (PGPASSWORD only here, never in argv).
std::map<std::string, std::string> tool_env(const DatabaseConfig& db);
// Runs argv as the postgres user when Keepsake is root; killed after `timeout`.
ProcessResult run_tool(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                       std::chrono::seconds timeout);
// The last non-empty line of a tool's stderr, for error messages.
std::string last_line(const std::string& text);

// Unpacks a base backup (base.tar.zst and pg_wal.tar, or base.tar.gz and pg_wal.tar.gz) into an empty data folder, as the postgres
// user when Keepsake is root.
void unpack_base_backup(const std::string& backup_folder, const std::string& data_dir);
// Creates a folder that only the postgres user (when Keepsake is root) may use.
void make_private_folder(const std::string& path);

int64_t now_us();
// yyyyMMddTHHmmssZ (UTC). Pure.
std::string stamp(std::chrono::system_clock::time_point when);

}  // namespace keepsake::pitr
