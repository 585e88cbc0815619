// Helpers for the restore tests: dump files of every kind a user may restore (Keepsake's own
// backups, Immich-style `pg_dump | gzip`, pg_dumpall cluster dumps, hand-written hostile ones),
// and the two views a test compares before and after: the spec's catalog and the row counts.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "db/connection.h"
#include "harness/test_cluster.h"

namespace keepsake::testing {

// Wraps SQL between pg_dump's header and completion trailer, as a minimal valid dump.
std::string minimal_dump(const std::string& body);
// Writes text to a file, gzip-compressed (ISA-L) or not.
void write_dump_file(const std::string& path, const std::string& sql, bool gzip);
// Rewrites a gzip dump with `member_bytes` gzip members (so that even a small table's COPY data
// is cut into pieces), passing its SQL through `edit`, and rewrites its checksum sidecar.
void rewrite_dump(const std::string& path, uint64_t member_bytes,
                  const std::function<std::string(std::string)>& edit = {});
// Immich's pipeline: pg_dump --clean --if-exists <db> | gzip --rsyncable > path.
void immich_style_backup(const std::string& dbname, const std::string& path);
// A pg_dumpall-shaped cluster dump (gzip): the cluster's roles, then one section per database
// (pg_dump --create), as pg_dumpall writes it, for `dbname` and the postgres database.
void cluster_dump(const std::string& dbname, const std::string& path);

// A fresh database owned by a role of its own (LOGIN, neither superuser nor CREATEDB, password
// "owner-pw") with the extensions a superuser installed for it, booted as that role: what a
// restore as the database's owner finds. `config` reaches it as the owner, over TCP.
struct OwnedDatabase {
  std::string name, role;
  Config config;
};
OwnedDatabase create_owned_database(const std::string& prefix, const std::string& media_location);
// Ends its sessions, drops it and its role.
void drop_owned_database(const OwnedDatabase& owned);

// The spec catalog query's JSON of a database (without database-level settings and Keepsake's
// own schema, which restores legitimately leave or carry differently).
std::string catalog_json(const std::string& dbname);
// "schema.table=count" lines for every table of public and keepsake.
std::string row_counts(const std::string& dbname);

}  // namespace keepsake::testing
