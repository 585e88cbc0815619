// A write fence inside PostgreSQL, independent of any message to Immich: for the window in which
// an operation replaces or rewrites the library (a restore, a media-location change), no other
// session can write to the live database, and reads keep working.
//
// Raising: ALTER DATABASE <live> SET default_transaction_read_only = on, so every new session
// starts read-only (a write fails with SQLSTATE 25006 "cannot execute INSERT in a read-only
// transaction"), then the other sessions that were open are ended (pg_terminate_backend, waiting
// for each) and reconnect read-only. This process's own connections override it: while a fence is
// held here, Connection::open adds `-c default_transaction_read_only=off`, and sessions it had
// open before are spared. The fence is recorded in the database's comment ("keepsake write fence
// {json}", readable by every session, also on a read-only database) with the backend pid of a
// holder session kept open for the fence's life; lift_abandoned_fences() lifts a fence whose
// holder is gone (Keepsake killed). Lifting puts the setting and the comment back as they were,
// on whatever database carries the marker now (after a restore's swap, the previous database),
// and ends the sessions that connected while the fence was up (they would stay read-only).
//
// Needs the privilege to ALTER the database (its owner or a superuser) and to end the other
// sessions (the same role, pg_signal_backend, or a superuser). Must never leave a fence up after
// its operation, and never fence a database it was not asked to.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"

namespace keepsake::db {

// The startup option a fence holder's own connections carry.
inline constexpr const char* kWriteFenceOverride = "-c default_transaction_read_only=off";
// The comment prefix that marks a fenced database.
inline constexpr const char* kWriteFenceMarker = "keepsake write fence ";

// True while this process holds a fence (its new connections then override it).
bool write_fence_held_here();

struct FenceCheck {
  bool may_alter = false;                // owner of the database, or superuser
  std::vector<std::string> unstoppable;  // "user@application (pid N)" of sessions this role may not end
  bool possible() const { return may_alter && unstoppable.empty(); }
  std::string why_not() const;           // a sentence; "" when possible
};

// What this role may do to fence `database` now.
FenceCheck check_write_fence(Connection& conn, const std::string& database);

class WriteFence {
 public:
  // Raises the fence on live.dbname for `operation` (named in the marker and the log). Throws
  // Error(kForbidden) when this role may not alter the database, or may not end every other
  // session unless allow_unstoppable (those sessions then stay writable); Error(kConflict) when
  // another live process holds a fence on it.
  static std::unique_ptr<WriteFence> raise(const DatabaseConfig& live, const std::string& operation,
                                           bool allow_unstoppable = false);
  // Lifts it if lift() did not run; never throws (a failure is logged, and the next start lifts it).
  ~WriteFence();
  WriteFence(const WriteFence&) = delete;
  WriteFence& operator=(const WriteFence&) = delete;

  void lift();
  int ended_sessions() const { return ended_; }

 private:
  WriteFence(DatabaseConfig live, std::unique_ptr<Connection> holder, std::string id);

  DatabaseConfig live_;
  std::unique_ptr<Connection> holder_;
  std::string id_;
  int ended_ = 0;
  bool lifted_ = false;
};

// Lifts the fences on `live` (or on the databases a restore of it left, by their marker) whose
// holder session has gone. Returns what it did, for the caller to log; never throws.
std::vector<std::string> lift_abandoned_fences(const DatabaseConfig& live);

// Before an operation that could lose other clients' writes: when this role may not fence the
// database and clients are connected that can neither be told (restart_channel) nor fenced,
// refuses with Error(kForbidden) naming them, unless `force`. Changes nothing.
FenceCheck check_or_refuse(const DatabaseConfig& live, const std::string& operation, bool restart_channel,
                           bool force);
// check_or_refuse, then raises the fence when this role may; otherwise the operation goes on with
// as much of a fence as the role allows, or none (nullptr), as the log says.
std::unique_ptr<WriteFence> fence_or_refuse(const DatabaseConfig& live, const std::string& operation,
                                            bool restart_channel, bool force);

}  // namespace keepsake::db
