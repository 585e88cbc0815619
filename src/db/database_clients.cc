#include "db/database_clients.h"

#include <set>

namespace keepsake::db {

const char* client_kind_name(ClientKind kind) {
  switch (kind) {
    case ClientKind::kImmich: return "immich";
    case ClientKind::kKeepsake: return "keepsake";
    case ClientKind::kUnknown: return "unknown";
  }
  return "?";
}

ClientKind classify_application_name(const std::string& name) {
  if (name == kImmichApplicationName) return ClientKind::kImmich;
  if (name.rfind("keepsake", 0) == 0) return ClientKind::kKeepsake;
  return ClientKind::kUnknown;
}

std::string own_pids_param() {
  auto pids = own_backend_pids();
  std::string out = "{";
  for (size_t i = 0; i < pids.size(); ++i) out += (i ? "," : "") + std::to_string(pids[i]);
  return out + "}";
}

std::vector<DatabaseClient> list_other_clients(Connection& conn, const std::string& database) {
  auto r = conn.exec(
      "SELECT pid, coalesce(application_name, ''), coalesce(usename, '?'), "
      "       CASE WHEN client_addr IS NOT NULL THEN host(client_addr) || ':' || client_port "
      "            WHEN client_port = -1 THEN 'local socket' ELSE '?' END, "
      "       coalesce(to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?'), "
      "       coalesce(state, '?'), host(client_addr) "
      "FROM pg_stat_activity "
      "WHERE datname = $1 AND pid <> pg_backend_pid() "
      "  AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL)) "
      "  AND pid <> ALL($2::int[]) "
      "ORDER BY backend_start NULLS LAST, pid",
      {database, own_pids_param()}, "list the other clients of the database");
  std::vector<DatabaseClient> out;
  std::set<std::string> immich_hosts;
  for (int i = 0; i < r.rows(); ++i) {
    DatabaseClient c{static_cast<int>(r.int64(i, 0)), classify_application_name(r.text(i, 1)),
                     r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5)};
    if (c.kind == ClientKind::kImmich && !r.is_null(i, 6)) immich_hosts.insert(r.text(i, 6));
    out.push_back(std::move(c));
  }
  for (int i = 0; i < r.rows(); ++i) {
    if (out[i].kind == ClientKind::kUnknown && !r.is_null(i, 6) && immich_hosts.count(r.text(i, 6))) {
      out[i].kind = ClientKind::kImmich;
    }
  }
  return out;
}

std::string describe_client(const DatabaseClient& c) {
  std::string name = c.application_name.empty() ? "(no application name)" : c.application_name;
  return std::string(client_kind_name(c.kind)) + "  " + name + "  " + c.address + "  since " + c.since + "  " +
         c.state + "  (pid " + std::to_string(c.pid) + ", user " + c.user + ")";
}

std::vector<DatabaseClient> clients_not_told(const std::vector<DatabaseClient>& clients, bool restart_channel) {
  std::vector<DatabaseClient> out;
  for (const auto& c : clients) {
    if (c.kind == ClientKind::kUnknown || (c.kind == ClientKind::kImmich && !restart_channel)) out.push_back(c);
  }
  return out;
}

}  // namespace keepsake::db
