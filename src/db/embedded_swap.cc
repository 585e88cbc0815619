// The embedded cluster's data-folder swap (EmbeddedPostgres::replace_data) and its journal.
#include "db/embedded_swap.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fault_point.h"
#include "common/file_sync.h"
#include "common/log.h"
#include "common/utc_time.h"
#include "db/embedded_postgres.h"

namespace keepsake::db {
namespace fs = std::filesystem;

namespace {

std::string lock_file(const std::string& cluster_dir) { return cluster_dir + "/cluster.lock"; }

int open_lock_file(const std::string& cluster_dir) {
  return open(lock_file(cluster_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

}  // namespace

ClusterLock::ClusterLock(const std::string& cluster_dir) : fd_(open_lock_file(cluster_dir)) {
  if (fd_ < 0) throw Error(ErrorKind::kIo, "cannot open " + lock_file(cluster_dir) + ": " + std::strerror(errno));
  while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

ClusterLock::~ClusterLock() { close(fd_); }

bool ClusterLock::held_elsewhere(const std::string& cluster_dir) {
  int fd = open(lock_file(cluster_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

bool EmbeddedPostgres::busy() const { return ClusterLock::held_elsewhere(options_.cluster_dir); }

void EmbeddedPostgres::put_back_interrupted_swap() {
  if (!fs::exists(swap_journal())) return;
  nlohmann::json journal;
  try {
    journal = nlohmann::json::parse(std::ifstream(swap_journal()));
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kCorrupt, "cannot read " + swap_journal() + ": " + e.what(),
                "if data/ is missing, rename the newest data.before-* folder in " + options_.cluster_dir +
                    " to data, then remove " + swap_journal());
  }
  std::string previous = options_.cluster_dir + "/" + journal.value("previous", "");
  std::string incoming = journal.value("incoming", "");
  if (!fs::exists(data_dir()) && fs::exists(previous)) {
    spdlog::warn("A swap of the embedded cluster's data folder was interrupted before the new one was in place: "
                 "putting the previous data folder back ({})", previous);
    rename_durably(previous, data_dir());
    std::error_code ec;
    if (!incoming.empty()) fs::remove_all(incoming, ec);
  } else if (fs::exists(previous)) {
    spdlog::warn("A swap of the embedded cluster's data folder had put the new one in place; the previous "
                 "one is kept as {}", previous);
  }
  fs::remove(swap_journal());
  fsync_path(options_.cluster_dir, true);
}

void EmbeddedPostgres::replace_data(const std::string& incoming, const std::string& keep_as) {
  ClusterLock lock(options_.cluster_dir);
  put_back_interrupted_swap();
  const std::string previous = options_.cluster_dir + "/" + keep_as;
  if (!fs::exists(incoming + "/PG_VERSION")) {
    throw Error(ErrorKind::kInvalidArgument, incoming + " is not a PostgreSQL data folder");
  }
  if (fs::exists(previous)) throw Error(ErrorKind::kConflict, previous + " exists already");
  stop();
  bool set_aside = false, renamed = false;
  try {
    fault::point(kEmbeddedSwapPhases[0]);
    write_file_atomically(swap_journal(),
                          nlohmann::json{{"previous", keep_as}, {"incoming", incoming}, {"startedAt", iso8601_utc()}}
                                  .dump() +
                              "\n");
    rename_durably(data_dir(), previous);
    set_aside = true;
    fault::point(kEmbeddedSwapPhases[1]);
    rename_durably(incoming, data_dir());
    renamed = true;
    fault::point(kEmbeddedSwapPhases[2]);
    start_locked();
  } catch (const Error& e) {
    spdlog::error("The embedded cluster's new data folder did not go live ({}): putting the previous one back",
                  e.what());
    if (renamed) {
      run_tool({"pg_ctl", "stop", "-w", "-t", "60", "-m", "immediate", "-D", data_dir()});
      rename_durably(data_dir(), incoming);
    }
    if (set_aside) rename_durably(previous, data_dir());
    fs::remove(swap_journal());
    start_locked();
    throw Error(e.kind() == ErrorKind::kIo ? ErrorKind::kIo : ErrorKind::kUnavailable,
                "the new data folder did not go live: " + std::string(e.what()),
                "the library is as it was; the new data folder is left in " + incoming);
  }
  fs::remove(swap_journal());
  fsync_path(options_.cluster_dir, true);
}

}  // namespace keepsake::db
