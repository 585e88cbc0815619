// `pitr restore`: recovery of the archive into a private scratch cluster (docs/PITR.md), checked
// and stopped. Any failure stops and removes the scratch cluster; the live database is untouched.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/process_reader.h"
#include "db/connection.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBegin = "# keepsake-pitr-recovery begin";
constexpr const char* kEnd = "# keepsake-pitr-recovery end";
// A scratch cluster's folder in RecoverOptions.scratch_parent.
constexpr const char* kScratchPrefix = "pitr-restore-";

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port > 0 ? port : 54329;
}

// A value for postgresql.conf: quotes doubled inside single quotes.
std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// restore_command runs in the server's shell: the folder is single-quoted, so it must not hold
// a quote, and '%' is doubled for PostgreSQL's own placeholders.
std::string restore_command(const std::string& wal_dir) {
  if (wal_dir.find_first_of("'\n") != std::string::npos) {
    throw Error(ErrorKind::kInvalidArgument, "the archive folder's path holds a quote or a line break: " + wal_dir,
                "move the archive to a plainer path");
  }
  std::string escaped;
  for (char c : wal_dir) escaped += c == '%' ? std::string("%%") : std::string(1, c);
  return "cp '" + escaped + "/%f' '%p'";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw Error(ErrorKind::kIo, "cannot write " + path);
  if (auto user = postgres_run_as()) chown(path.c_str(), user->uid, user->gid);
}

std::string without_recovery_block(const std::string& text) {
  auto begin = text.find(kBegin);
  if (begin == std::string::npos) return text;
  auto end = text.find(kEnd, begin);
  return text.substr(0, begin) + (end == std::string::npos ? "" : text.substr(end + std::string(kEnd).size() + 1));
}

struct Scratch {
  std::string root, data, socket_dir, log;
  int port = 0;
  std::string bindir;
  bool started = false;

  ProcessResult pg_ctl(std::vector<std::string> args, std::chrono::seconds timeout) const {
    args.insert(args.begin(), bindir + "/pg_ctl");
    return run_tool(args, minimal_environment({{"TZ", "UTC"}}), timeout);
  }
  void stop(const char* mode) {
    if (!started) return;
    pg_ctl({"stop", "-w", "-t", "60", "-m", mode, "-D", data}, std::chrono::seconds(90));
    started = false;
  }
  std::string log_lines(const std::vector<std::string>& needles) const {
    std::ifstream in(log);
    std::string line, found;
    while (std::getline(in, line)) {
      for (auto& n : needles) {
        if (line.find(n) != std::string::npos) found += (found.empty() ? "" : "; ") + line.substr(line.find(n));
      }
    }
    return found;
  }
  std::string log_tail() const {
    return log_lines({"FATAL:", "PANIC:", "invalid value for parameter", "unrecognized configuration parameter"});
  }
};

const BaseBackupInfo& choose_base(const Archive& archive, const std::vector<BaseBackupInfo>& bases,
                                  const RecoveryTarget& target) {
  const BaseBackupInfo* chosen = nullptr;
  std::optional<uint64_t> point_lsn;
  if (target.kind == RecoveryTarget::Kind::kRestorePoint) {
    for (auto& p : archive.restore_points()) {
      if (p.name == target.name) point_lsn = parse_lsn(p.lsn);
    }
    if (!point_lsn) {
      throw Error(ErrorKind::kNotFound, "no restore point named '" + target.name + "' in " + archive.journal_file(),
                  "`keepsake pitr status` lists them");
    }
  }
  for (auto& b : bases) {
    if (!b.verified) continue;
    bool fits = target.kind == RecoveryTarget::Kind::kLatest ||
                (target.kind == RecoveryTarget::Kind::kTime && b.end_us <= target.time_us) ||
                (point_lsn && parse_lsn(b.end_lsn).value_or(UINT64_MAX) <= *point_lsn);
    if (fits) chosen = &b;
  }
  if (!chosen) {
    std::string earliest = bases.empty() ? "none" : format_iso8601(bases.front().end_us);
    throw Error(ErrorKind::kNotFound, "no verified base backup ends before the target",
                "the earliest recoverable time is " + earliest + " (`keepsake pitr status`)");
  }
  return *chosen;
}

std::string target_settings(const RecoveryTarget& target) {
  switch (target.kind) {
    case RecoveryTarget::Kind::kTime:
    {
      // PostgreSQL reads "2026-12-04 18:00:00.000000+00", not the ISO 8601 "T...Z" form.
      std::string text = format_iso8601(target.time_us);
      text[10] = ' ';
      text.back() = '+';
      return "recovery_target_time = " + conf_quote(text + "00") + "\n";
    }
    case RecoveryTarget::Kind::kRestorePoint:
      return "recovery_target_name = " + conf_quote(target.name) + "\n";
    case RecoveryTarget::Kind::kLatest:
      break;
  }
  return "";
}

// The newest .partial segment, under its full name, so recovery reaches the last streamed record.
void place_partial_segment(const Archive& archive, const ArchiveState& state, const std::string& pg_wal) {
  auto segments = list_segments(archive.wal_dir(), state.wal_segment_size);
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (!it->partial) continue;
    std::string full = pg_wal + "/" + it->file.substr(0, 24);
    fs::copy_file(archive.wal_dir() + "/" + it->file, full, fs::copy_options::overwrite_existing);
    if (auto user = postgres_run_as()) chown(full.c_str(), user->uid, user->gid);
    return;
  }
}

void configure(const Scratch& s, const Archive& archive, const RecoveryTarget& target) {
  std::string auto_conf = s.data + "/postgresql.auto.conf";
  if (!fs::exists(s.data + "/postgresql.conf")) write_text(s.data + "/postgresql.conf", "");
  if (!fs::exists(s.data + "/pg_ident.conf")) write_text(s.data + "/pg_ident.conf", "");
  if (fs::exists(s.data + "/pg_hba.conf")) fs::rename(s.data + "/pg_hba.conf", s.data + "/pg_hba.conf.keepsake-saved");
  write_text(s.data + "/pg_hba.conf", "local all all trust\n");
  fs::remove(s.data + "/standby.signal");
  write_text(s.data + "/recovery.signal", "");
  std::string block = std::string(kBegin) + "\n" +
                      "port = " + std::to_string(s.port) + "\n" +
                      "listen_addresses = ''\n" +
                      "unix_socket_directories = " + conf_quote(s.socket_dir) + "\n" +
                      "hba_file = " + conf_quote(s.data + "/pg_hba.conf") + "\n" +
                      "ident_file = " + conf_quote(s.data + "/pg_ident.conf") + "\n" +
                      "ssl = off\nlogging_collector = off\nhot_standby = off\narchive_mode = off\n"
                      "shared_buffers = '128MB'\nprimary_conninfo = ''\nsynchronous_standby_names = ''\n"
                      // The new timeline's first segments stay until a slot holds them (RecoverOptions.slot).
                      "wal_keep_size = '1GB'\n"
                      "cluster_name = 'keepsake-pitr-restore'\n" +
                      "restore_command = " + conf_quote(restore_command(archive.wal_dir())) + "\n" +
                      target_settings(target) +
                      "recovery_target_timeline = 'latest'\nrecovery_target_action = 'promote'\n" + kEnd + "\n";
  write_text(auto_conf, without_recovery_block(read_text(auto_conf)) + block);
}

DatabaseConfig scratch_database(const Scratch& s, const RecoverOptions& o) {
  DatabaseConfig c;
  c.host = s.socket_dir;
  c.port = std::to_string(s.port);
  c.user = o.user.empty() ? "postgres" : o.user;
  c.dbname = "postgres";
  return c;
}

// Recovery runs with hot_standby off: the server refuses connections until it has promoted.
// Waits (bounded) until it accepts them and is out of recovery; throws with the log's reason
// when the server stops instead.
void wait_until_promoted(const Scratch& s, const RecoverOptions& o) {
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      auto conn = db::Connection::open(scratch_database(s, o));
      if (!conn->exec("SELECT pg_is_in_recovery()", {}, "read recovery state").boolean(0, 0)) return;
    } catch (const Error& e) {
      last_error = e.what();
    }
    if (!s.pg_ctl({"status", "-D", s.data}, std::chrono::seconds(30)).ok()) {
      std::string why = s.log_tail();
      throw Error(ErrorKind::kUnavailable, "recovery did not finish: " + (why.empty() ? last_error : why),
                  "nothing changed in the live database; the scratch cluster was removed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw Error(ErrorKind::kUnavailable,
              "recovery did not finish within " + std::to_string(o.timeout.count()) + " s",
              "give more time with --timeout; nothing changed in the live database");
}

// --latest must replay what the archive is known to hold: a recovery that ended a segment or more
// before (a segment missing from the archive) would quietly give an older library. Within the
// segment it is not checked: the server may have flushed part of a record that recovery drops.
void check_reached(const Scratch& s, const RecoverOptions& o, uint64_t segment_size) {
  uint64_t needed = 0;
  std::string needed_text;
  for (const auto& lsn : o.reach_at_least) {
    if (auto at = parse_lsn(lsn); at && *at > needed) {
      needed = *at;
      needed_text = lsn;
    }
  }
  if (o.target.kind != RecoveryTarget::Kind::kLatest || needed == 0) return;
  auto conn = db::Connection::open(scratch_database(s, o));
  std::string reached = conn->exec("SELECT pg_current_wal_lsn()::text", {}, "read the recovered position").text(0, 0);
  if (parse_lsn(reached).value_or(0) / segment_size >= needed / segment_size) return;
  throw Error(ErrorKind::kCorrupt,
              "recovery ended at " + reached + ", before " + needed_text +
                  ", which the archive had received: WAL is missing from the archive",
              "nothing changed in the live library; `keepsake pitr status` shows the archive; a restore to a "
              "time before " + reached + " still works");
}

// The slot for the archive's stream once this cluster goes live, holding the WAL from the new
// timeline's switch point on (a slot made now reserves from the last checkpoint's redo, which may
// lie far back in the base backup's WAL, more than max_slot_wal_keep_size allows).
void create_slot(const Scratch& s, const RecoverOptions& o) {
  auto history = newest_history(s.data);
  if (!history) throw Error(ErrorKind::kInternal, "the recovered cluster has no new timeline");
  auto conn = db::Connection::open(scratch_database(s, o));
  conn->exec("SELECT pg_create_physical_replication_slot($1, true)", {o.slot}, "create the archive's slot");
  conn->exec("SELECT pg_replication_slot_advance($1, $2::pg_lsn) FROM pg_replication_slots "
             "WHERE slot_name = $1 AND restart_lsn < $2::pg_lsn",
             {o.slot, format_lsn(history->switch_lsn)}, "move the archive's slot to the new timeline");
}

// The database exists and kysely_migrations is readable; then the caller's own check.
int64_t check_recovered(const Scratch& s, const RecoverOptions& o) {
  DatabaseConfig c = scratch_database(s, o);
  c.dbname = o.database;
  auto conn = db::Connection::open(c);
  int64_t migrations =
      conn->exec("SELECT count(*) FROM kysely_migrations", {}, "read kysely_migrations").int64(0, 0);
  if (o.inspect) o.inspect(*conn);
  conn.reset();
  if (o.use) o.use(c);
  return migrations;
}

// Puts the settings back so the data folder can run anywhere (the recovery block removed, the
// original pg_hba.conf back).
void unconfigure(const Scratch& s) {
  std::string auto_conf = s.data + "/postgresql.auto.conf";
  write_text(auto_conf, without_recovery_block(read_text(auto_conf)));
  if (fs::exists(s.data + "/pg_hba.conf.keepsake-saved")) {
    fs::rename(s.data + "/pg_hba.conf.keepsake-saved", s.data + "/pg_hba.conf");
  }
}

void remove_scratch(Scratch& s) {
  try {
    s.stop("immediate");
  } catch (const std::exception& e) {
    spdlog::warn("PITR: stopping the scratch cluster failed: {}", e.what());
  }
  std::error_code ec;
  fs::remove_all(s.root, ec);
  fs::remove_all(s.socket_dir, ec);
}

void recover_into(Scratch& s, const Archive& archive, const ArchiveState& state, const BaseBackupInfo& base,
                  const RecoverOptions& o, RecoverResult& result) {
  unpack_base_backup(archive.base_dir() + "/" + base.name, s.data);
  int major = std::stoi(read_text(s.data + "/PG_VERSION"));
  s.bindir = fs::path(tool_path("pg_ctl", major)).parent_path().string();
  if (s.bindir.find("/" + std::to_string(major) + "/") == std::string::npos) {
    throw Error(ErrorKind::kUnavailable,
                "the backup is of PostgreSQL " + std::to_string(major) + ", whose server is not installed here",
                "install postgresql-" + std::to_string(major));
  }
  place_partial_segment(archive, state, s.data + "/pg_wal");
  configure(s, archive, o.target);
  s.started = true;  // from here on, a failure stops it
  auto r = s.pg_ctl({"start", "-w", "-t", std::to_string(o.timeout.count()), "-D", s.data, "-l", s.log},
                    o.timeout + std::chrono::seconds(30));
  if (!r.ok()) {
    std::string why = s.log_tail();
    throw Error(ErrorKind::kUnavailable,
                "recovery did not finish: " + (why.empty() ? last_line(r.err + r.out) : why),
                "nothing changed in the live database; the scratch cluster was removed");
  }
  wait_until_promoted(s, o);
  check_reached(s, o, state.wal_segment_size);
  if (!o.slot.empty()) create_slot(s, o);
  result.migrations = check_recovered(s, o);
  result.recovered_to = s.log_lines({"recovery stopping", "last completed transaction", "redo done at"});
  s.stop("fast");
  unconfigure(s);
}

}  // namespace

std::vector<std::string> remove_abandoned_scratch_clusters(const std::string& archive_dir,
                                                           const std::string& scratch_parent) {
  std::vector<std::string> roots;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(Archive(archive_dir).restore_dir(), ec)) {
    if (fs::exists(entry.path() / "data" / "postmaster.pid")) roots.push_back(entry.path().string());
  }
  if (!scratch_parent.empty()) {
    for (auto& entry : fs::directory_iterator(scratch_parent, ec)) {
      if (entry.path().filename().string().starts_with(kScratchPrefix)) roots.push_back(entry.path().string());
    }
  }
  for (const auto& root : roots) {
    Scratch s;
    s.root = root;
    s.data = s.root + "/data";
    if (fs::exists(s.data + "/postmaster.pid")) {
      try {
        s.bindir = fs::path(tool_path("pg_ctl", std::stoi(read_text(s.data + "/PG_VERSION")))).parent_path().string();
        s.started = true;
      } catch (const std::exception& e) {
        spdlog::warn("PITR: the scratch cluster in {} may still run: {}", s.data, e.what());
      }
    }
    remove_scratch(s);
    spdlog::warn("PITR: removed the scratch cluster of an interrupted restore: {}", s.root);
  }
  return roots;
}

std::function<ByteSource()> dump_stream(const DatabaseConfig& recovered) {
  int major = static_cast<int>(
      db::Connection::open(recovered)->exec("SHOW server_version_num", {}, "read the server version").int64(0, 0) /
      10000);
  ProcessOptions p;
  p.argv = {tool_path("pg_dump", major), "--clean", "--if-exists"};
  p.env = minimal_environment(recovered.libpq_env());
  return [p] {
    auto reader = std::make_shared<ProcessReader>(p);
    return [reader](uint8_t* buf, size_t max) { return reader->read(buf, max); };
  };
}

RecoverResult recover(const RecoverOptions& o) {
  auto start = std::chrono::steady_clock::now();
  remove_abandoned_scratch_clusters(o.archive_dir, o.scratch_parent);
  Archive archive(o.archive_dir);
  auto state = archive.read_state();
  if (!state) throw Error(ErrorKind::kNotFound, "PITR is not enabled for " + o.archive_dir, "run `keepsake pitr enable`");
  auto bases = archive.base_backups();
  const auto& base = choose_base(archive, bases, o.target);
  Scratch s;
  const std::string prefix = o.scratch_parent.empty() ? archive.restore_dir() + "/"
                                                      : o.scratch_parent + "/" + kScratchPrefix;
  s.root = prefix + stamp(std::chrono::system_clock::now());
  for (int i = 2; fs::exists(s.root); ++i) s.root = prefix + stamp(std::chrono::system_clock::now()) + "-" + std::to_string(i);
  s.data = s.root + "/data";
  s.log = s.root + "/postgres.log";
  s.port = free_port();
  char socket_template[] = "/tmp/keepsake-pitr-XXXXXX";
  if (!mkdtemp(socket_template)) throw Error(ErrorKind::kIo, "cannot create a socket folder in /tmp");
  s.socket_dir = socket_template;
  RecoverResult result;
  try {
    make_private_folder(s.socket_dir);
    make_private_folder(s.root);
    make_private_folder(s.data);
    spdlog::info("PITR: recovering base backup {} into {}", base.name, s.data);
    recover_into(s, archive, *state, base, o, result);
  } catch (...) {
    remove_scratch(s);
    throw;
  }
  std::error_code ec;
  fs::remove_all(s.socket_dir, ec);
  if (!o.keep) fs::remove_all(s.root, ec);
  result.data_dir = o.keep ? s.data : "";
  result.base_backup = base.name;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("PITR: recovered and checked in {} ({:.1f} s): {}", s.data, result.seconds, result.recovered_to);
  return result;
}

}  // namespace keepsake::pitr
