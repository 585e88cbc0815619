// Who else is connected to a database: the other client sessions in pg_stat_activity (this
// process's own sessions left out), each classified as an Immich server, another Keepsake, or
// unknown. Immich v2.7.5 sets no application_name of its own: its postgres.js 3.4.x pool connects
// as "postgres.js" (the library's default), so that name means Immich; a session without a known
// name from an address that also holds an Immich session is counted as Immich too (its pg_dump or
// psql). Every Keepsake session's name starts with "keepsake". A role without pg_read_all_stats
// sees only the name, user and pid of other roles' sessions (the rest reads "?"). Only reads;
// never ends a session.
#pragma once

#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::db {

enum class ClientKind { kImmich, kKeepsake, kUnknown };

const char* client_kind_name(ClientKind kind);

// postgres.js's default application_name, which Immich v2.7.5's connections carry.
inline constexpr const char* kImmichApplicationName = "postgres.js";

struct DatabaseClient {
  int pid = 0;
  ClientKind kind = ClientKind::kUnknown;
  std::string application_name;
  std::string user;
  std::string address;  // "10.0.0.5:51234", "local socket", or "?" (not visible to this role)
  std::string since;    // backend_start, ISO 8601 UTC ("?" when not visible)
  std::string state;    // active, idle, idle in transaction, ... ("?" when not visible)
};

// The backend pids of the connections this process holds open now (its own sessions, which a
// write fence spares and the list of other clients leaves out); kept by Connection.
std::vector<int> own_backend_pids();
// The same as an int[] parameter: "{12,34}".
std::string own_pids_param();

// By application name alone. Pure.
ClientKind classify_application_name(const std::string& application_name);

// The other client sessions of `database`, oldest first.
std::vector<DatabaseClient> list_other_clients(Connection& conn, const std::string& database);

// "immich    postgres.js  10.0.0.5:51234  since 2026-12-04T07:00:00Z  idle  (pid 123, user immich)"
std::string describe_client(const DatabaseClient& client);

// The clients a maintenance operation cannot tell to stop writing: unknown ones always, Immich's
// servers when there is no restart channel (Keepsake instances follow the maintenance record).
std::vector<DatabaseClient> clients_not_told(const std::vector<DatabaseClient>& clients, bool restart_channel);

}  // namespace keepsake::db
