// `pitr enable`: readiness, the slot, the first verified base backup, and a first WAL stream.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/log.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;

namespace {

std::string location_file(const Config& config) { return config.data_dir + "/pitr-location"; }

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += "\n  " + l;
  return out;
}

// Creates the slot (reserving WAL now) unless it exists; true when created here.
bool ensure_slot(db::Connection& conn, const std::string& slot) {
  auto r = conn.exec("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", {slot}, "read slot");
  if (!r.empty()) {
    if (r.text(0, 0) != "lost") return false;
    // A lost slot can never stream again; the archive keeps what it received.
    spdlog::warn("PITR: the replication slot {} is lost (the server removed WAL it still needed); replacing it", slot);
    conn.exec("SELECT pg_drop_replication_slot($1)", {slot}, "drop the lost replication slot");
  }
  conn.exec("SELECT pg_create_physical_replication_slot($1, true)", {slot}, "create replication slot");
  spdlog::info("PITR: created replication slot {}", slot);
  return true;
}

// pg_receivewal starts after the newest segment in its folder, not at the slot: after a new slot
// (enabled again after `disable`, or a lost slot replaced) the WAL after that segment may be gone.
// An empty .partial of the slot's first segment, which pg_receivewal fills, makes it start there;
// the old .partial stays incomplete, a gap in the chain (first_gap).
void start_stream_at_new_slot(db::Connection& conn, const Archive& archive, const ArchiveState& state) {
  auto segments = list_segments(archive.wal_dir(), state.wal_segment_size);
  if (segments.empty()) return;
  auto r = conn.exec("SELECT pg_walfile_name(restart_lsn), pg_wal_lsn_diff(restart_lsn, '0/0')::bigint "
                     "FROM pg_replication_slots WHERE slot_name = $1",
                     {state.slot}, "read the new slot's position");
  uint64_t first = static_cast<uint64_t>(r.int64(0, 1)) / state.wal_segment_size;
  if (segments.back().number >= first) return;
  std::string placeholder = archive.wal_dir() + "/" + r.text(0, 0) + ".partial";
  std::ofstream(placeholder, std::ios::binary).close();
  fs::resize_file(placeholder, state.wal_segment_size);
  if (auto user = postgres_run_as(); user && chown(placeholder.c_str(), user->uid, user->gid) != 0) {
    throw Error(ErrorKind::kIo, "cannot hand " + placeholder + " to user " + user->name + ": " + std::strerror(errno));
  }
  spdlog::info("PITR: the archive's WAL resumes at {} (the new slot's start)", r.text(0, 0));
}

void drop_slot(const DatabaseConfig& db, const std::string& slot) {
  try {
    db::Connection::open(db)->exec("SELECT pg_drop_replication_slot($1)", {slot}, "drop replication slot");
  } catch (const std::exception& e) {
    spdlog::warn("PITR: could not drop the replication slot {}: {}", slot, e.what());
  }
}

}  // namespace

std::string archive_dir_for(const Config& config) {
  std::ifstream in(location_file(config));
  std::string line;
  if (in && std::getline(in, line) && !line.empty()) return line;
  return config.data_dir + "/pitr";
}

std::string choose_archive_dir(const Config& config, const std::string& location) {
  if (location.empty()) return archive_dir_for(config);
  std::string dir = fs::absolute(location).lexically_normal().string();
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  fs::create_directories(config.data_dir);
  std::ofstream(location_file(config), std::ios::trunc) << dir << "\n";
  return dir;
}

bool synchronous_requested(const Environment& env) {
  auto it = env.find("KEEPSAKE_PITR_SYNCHRONOUS");
  return it != env.end() && parse_strict_bool(it->first, it->second);
}

bool auto_enable_requested(const Environment& env) {
  auto it = env.find("KEEPSAKE_PITR_AUTO_ENABLE");
  return it == env.end() || it->second.empty() || parse_strict_bool(it->first, it->second);
}

bool is_enabled(const std::string& archive_dir) { return fs::exists(Archive(archive_dir).state_file()); }

EnableResult enable(const EnableOptions& options) {
  auto readiness = check_readiness(options.db, options.synchronous);
  if (!readiness.ok()) {
    throw Error(ErrorKind::kUnavailable,
                "the database is not ready for point-in-time recovery; missing:" + joined(readiness.missing),
                readiness.recommended.empty() ? "" : "also recommended:" + joined(readiness.recommended));
  }
  for (auto& line : readiness.recommended) spdlog::warn("PITR: recommended: {}", line);
  Archive archive(options.archive_dir);
  auto existing = archive.read_state();
  if (existing && existing->system_identifier != readiness.system_identifier) {
    throw Error(ErrorKind::kConflict,
                "the archive " + archive.dir() + " belongs to another PostgreSQL cluster (system " +
                    existing->system_identifier + ", this one is " + readiness.system_identifier + ")",
                "give another folder with --location");
  }
  archive.create();
  auto conn = db::Connection::open(options.db);
  ArchiveState state = existing.value_or(ArchiveState{});
  state.system_identifier = readiness.system_identifier;
  state.server_major = readiness.server_major;
  state.wal_segment_size = static_cast<uint64_t>(
      conn->exec("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'", {}, "read segment size")
          .int64(0, 0));
  if (!existing) state.enabled_us = now_us();
  EnableResult result;
  result.slot_created = ensure_slot(*conn, state.slot);
  try {
    if (result.slot_created) start_stream_at_new_slot(*conn, archive, state);
    archive.write_state(state);
    fs::remove(archive.disabled_state_file());
    fs::remove(archive.enable_failure_file());
    result.base = take_base_backup(options.db, options.archive_dir);
    result.streamed_to_lsn = stream_until_current(options.db, options.archive_dir, options.stream_check_timeout);
  } catch (...) {
    if (result.slot_created) {
      drop_slot(options.db, state.slot);
      if (!existing) fs::remove(archive.state_file());
    }
    throw;
  }
  spdlog::info("PITR: enabled; archive {}, WAL streamed up to {}", archive.dir(), result.streamed_to_lsn);
  return result;
}

}  // namespace keepsake::pitr
