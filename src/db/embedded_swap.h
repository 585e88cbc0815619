// Internal to db/: the lock that serialises starting the embedded cluster and swapping its data
// folder (embedded_postgres.h), between the objects and processes that manage one cluster (serve
// and its watchdog, a CLI restore). A flock on <cluster_dir>/cluster.lock: released by the kernel
// when its holder dies, never inherited by PostgreSQL (close-on-exec).
#pragma once

#include <string>

namespace keepsake::db {

class ClusterLock {
 public:
  // Waits for the lock. Throws Error(kIo) when the lock file cannot be opened.
  explicit ClusterLock(const std::string& cluster_dir);
  ~ClusterLock();
  ClusterLock(const ClusterLock&) = delete;
  ClusterLock& operator=(const ClusterLock&) = delete;

  // True when someone holds the lock now (this call does not wait, and takes nothing).
  static bool held_elsewhere(const std::string& cluster_dir);

 private:
  int fd_ = -1;
};

}  // namespace keepsake::db
