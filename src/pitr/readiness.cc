// What a server and role lack for archiving over a replication connection, as lines to paste.
#include <libpq-fe.h>

#include <memory>

#include "common/error.h"
#include "db/connection.h"
#include "pitr/pitr.h"

namespace keepsake::pitr {
namespace {

// Senders and slots Keepsake uses at once: pg_receivewal, and pg_basebackup's WAL stream.
constexpr int kNeeded = 2;

struct ReplicationProbe {
  std::string system_identifier;
  std::string error;  // empty when IDENTIFY_SYSTEM answered
};

// Opens a physical replication connection (as pg_receivewal will) and asks IDENTIFY_SYSTEM.
ReplicationProbe probe_replication(const DatabaseConfig& db) {
  auto params = db.libpq_params();
  params.emplace_back("replication", "true");
  params.emplace_back("connect_timeout", "10");
  std::vector<const char*> keys, values;
  for (auto& [k, v] : params) keys.push_back(k.c_str()), values.push_back(v.c_str());
  keys.push_back(nullptr), values.push_back(nullptr);
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys.data(), values.data(), 0), &PQfinish);
  ReplicationProbe probe;
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    probe.error = PQerrorMessage(conn.get());
    return probe;
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), "IDENTIFY_SYSTEM"), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) {
    probe.error = PQerrorMessage(conn.get());
    return probe;
  }
  probe.system_identifier = PQgetvalue(res.get(), 0, 0);
  return probe;
}

std::string setting(db::Connection& conn, const char* name) {
  return conn.exec("SELECT setting FROM pg_settings WHERE name = $1", {std::string(name)}, "read setting")
      .text(0, 0);
}

std::string client_address(const DatabaseConfig& db) {
  return !db.host.empty() && db.host[0] == '/' ? "local" : "host";
}

}  // namespace

Readiness check_readiness(const DatabaseConfig& db, bool synchronous) {
  Readiness r;
  auto conn = db::Connection::open(db);
  r.server_major = conn->server_version_num() / 10000;
  auto role = conn->exec("SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user",
                         {}, "read role attributes");
  bool superuser = role.boolean(0, 1);
  std::string user = db::quote_ident(db.user.empty() ? "postgres" : db.user);
  if (!role.boolean(0, 0) && !superuser) r.missing.push_back("ALTER ROLE " + user + " WITH REPLICATION;");
  if (setting(*conn, "wal_level") == "minimal") {
    r.missing.push_back("ALTER SYSTEM SET wal_level = 'replica';  -- then restart PostgreSQL");
  }
  if (std::stoi(setting(*conn, "max_wal_senders")) < kNeeded) {
    r.missing.push_back("ALTER SYSTEM SET max_wal_senders = 10;  -- then restart PostgreSQL");
  }
  if (std::stoi(setting(*conn, "max_replication_slots")) < kNeeded) {
    r.missing.push_back("ALTER SYSTEM SET max_replication_slots = 10;  -- then restart PostgreSQL");
  }
  if (setting(*conn, "max_slot_wal_keep_size") == "-1") {
    r.recommended.push_back(
        "ALTER SYSTEM SET max_slot_wal_keep_size = '10GB';  -- so a stopped Keepsake cannot fill the "
        "database's disk; then SELECT pg_reload_conf();");
  }
  if (synchronous && !superuser && setting(*conn, "synchronous_standby_names").find(kApplicationName) == std::string::npos) {
    r.recommended.push_back(std::string("synchronous_standby_names = '") + kApplicationName +
                            "'  -- postgresql.conf, then SELECT pg_reload_conf(); synchronous archiving: each commit "
                            "waits for the archive, and waits as long as Keepsake is stopped (docs/PITR.md)");
  }
  if (!superuser) {
    r.recommended.push_back("GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO " + user +
                            ";  -- named restore points before risky operations");
  }
  if (r.missing.empty()) {
    auto probe = probe_replication(db);
    if (probe.error.empty()) {
      r.system_identifier = probe.system_identifier;
    } else if (probe.error.find("pg_hba.conf") != std::string::npos) {
      std::string kind = client_address(db);
      r.missing.push_back("pg_hba.conf: " + kind + "    replication    " +
                          (db.user.empty() ? "postgres" : db.user) +
                          (kind == "local" ? "    " : "    <keepsake's address>/32    ") +
                          (kind == "local" ? "peer" : "scram-sha-256") + "  -- then SELECT pg_reload_conf();");
    } else {
      r.missing.push_back("a replication connection fails: " + probe.error);
    }
  }
  return r;
}

}  // namespace keepsake::pitr
