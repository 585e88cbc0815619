// Loads a scanned dump (DumpPlan) into a database over libpq, never through psql: nothing in the
// file can reach a shell, and the work can be spread over several connections. Two modes:
//   * parallel (a scratch database nothing else uses): the schema in dump order on one
//     connection; the COPY data, cut into pieces at the gzip members that start on a row boundary
//     (DumpPlan::seek_points), split over N connections, each decompressing from the seek point
//     nearest its piece; the indexes and primary/unique constraints spread over N
//     connections, largest table first, with a generous maintenance_work_mem; then everything
//     else in dump order.
//   * single transaction (in place): every statement in dump order on one connection, inside one
//     transaction that starts with the caller's prelude (the schema reset): all of it or nothing.
// Statements the target cannot or must not run are skipped by a LoadPolicy and reported.
// Must never run a statement the scan did not plan, and never leave a transaction open.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "db/connection.h"
#include "restore/dump_scan.h"

namespace keepsake::restore {

// What the target allows, read from it once (load_policy_for).
struct LoadPolicy {
  bool superuser = false;
  std::set<std::string> owner_roles;  // roles ALTER ... OWNER TO may name (exist, and we may grant)
  bool keep_extensions = false;       // in place: installed extensions stay (DROP EXTENSION skipped)
};

// Reads the policy from the target database: superuser, and the roles this user may give
// objects to.
LoadPolicy load_policy_for(db::Connection& conn, bool keep_extensions);

struct LoadProgress {
  std::string phase;  // "schema", "data", "indexes", "constraints"
  uint64_t done = 0;  // weighted work done (bytes of data, plus a weight per statement)
  uint64_t total = 0;
};

struct LoadOptions {
  int connections = 2;
  bool single_transaction = false;
  std::vector<std::string> prelude;   // SQL run before the dump (in the transaction when single)
  std::string maintenance_work_mem;   // e.g. "1GB" for index builds; empty = the server's setting
  LoadPolicy policy;
  std::function<void(const LoadProgress&)> progress;  // from any loading thread, one call at a time; keep it cheap
  // Called between phases with "schema", "data", "indexes", "loaded" (fault-injection tests).
  std::function<void(std::string_view)> checkpoint;
  // Single transaction only: runs on the loading connection after the last statement, before
  // COMMIT; throwing rolls everything back.
  std::function<void(db::Connection&)> before_commit;
};

struct LoadReport {
  uint64_t statements = 0;  // run
  uint64_t rows = 0;        // loaded by COPY
  uint64_t binary_rows = 0; // of which through COPY BINARY (see binary_copy.h)
  uint64_t skipped = 0;     // skipped by the policy
  std::vector<std::string> notes;  // one line per kind of skipped statement
  double seconds = 0;
  std::string timings;  // seconds per phase, e.g. "schema 0.2 s, data 18.1 s, indexes 9.0 s"
};

// Loads the plan into `target`. Throws keepsake::Error naming the dump line whose statement
// failed; in single-transaction mode the target is then unchanged.
LoadReport load_dump(const DumpPlan& plan, const DatabaseConfig& target, const LoadOptions& options);

// Why the policy skips a statement, or "" to run it. Pure; exposed for tests.
std::string skip_reason(const DumpItem& item, const LoadPolicy& policy);

}  // namespace keepsake::restore
