// The databases of a restore "beside" the live one, and the swap that puts the restored database
// in the live one's place. Names (PostgreSQL's 63-byte limit cuts the live part, never the
// suffix): scratch "<live>_restore_<yyyyMMddTHHmmss>", previous "<live>_before_restore_<...>".
// The swap is ONE transaction on a connection to the maintenance database (postgres, or
// template1): terminate the sessions of both databases, rename live -> previous, rename
// scratch -> live. A crash at any point leaves either the old live database or the restored one,
// never neither. Must never drop the live database.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/connection.h"

namespace keepsake::restore {

struct RestoreNames {
  std::string live, scratch, previous;
  std::string stamp;  // yyyyMMddTHHmmss (UTC)
};

RestoreNames restore_names(const std::string& live, std::chrono::system_clock::time_point when);

// A connection to the cluster's maintenance database, with the live database's credentials.
std::unique_ptr<db::Connection> open_admin_connection(const DatabaseConfig& live);

struct SwapCapabilities {
  bool superuser = false;
  bool createdb = false;
  bool owns_live = false;
  std::vector<std::string> uncreatable_extensions;  // of the dump's, this role cannot create
  bool can_restore_beside() const {
    return (superuser || (createdb && owns_live)) && uncreatable_extensions.empty();
  }
  std::string why_not() const;  // a sentence, for the log and the status
};

// What this role may do: create and rename databases, and create the dump's extensions in a new
// database (superuser, or trusted extensions).
SwapCapabilities read_swap_capabilities(db::Connection& admin, const std::string& live,
                                        const std::vector<std::string>& extensions);

// Creates the scratch database with the live one's encoding and locale (and owner, when a
// superuser restores), from template0.
void create_scratch_database(db::Connection& admin, const std::string& live, const std::string& scratch);
// Copies the live database's own settings (ALTER DATABASE ... SET: search_path,
// vchordrq.probes, ...) to another database, except default_transaction_read_only (a write fence's).
void copy_database_settings(db::Connection& admin, const std::string& from, const std::string& to);
// DROP DATABASE IF EXISTS ... WITH (FORCE). Refuses the live database's name.
void drop_restore_database(db::Connection& admin, const std::string& live, const std::string& name);

// The swap (see above). Retries a few times when other sessions keep connecting; throws
// Error(kConflict) naming them when they cannot be stopped. Nothing has changed then.
void swap_databases(db::Connection& admin, const RestoreNames& names);

struct RestoreDatabase {
  std::string name;
  bool scratch = false;     // <live>_restore_* (true) or <live>_before_restore_* (false)
  std::string stamp;
  int connections = 0;      // sessions connected to it now (autovacuum workers not counted)
  std::optional<std::chrono::system_clock::time_point> created;  // from the stamp
};

// The scratch and previous databases of `live` that exist now, oldest first.
std::vector<RestoreDatabase> find_restore_databases(db::Connection& admin, const std::string& live);

// Parses yyyyMMddTHHmmss (UTC). Pure.
std::optional<std::chrono::system_clock::time_point> parse_stamp(const std::string& stamp);

}  // namespace keepsake::restore
