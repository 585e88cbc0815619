// A PostgreSQL cluster of a test's own, for tests that restart or break the server: the shared
// test cluster must stay up for the tests that run beside. initdb in a temporary folder, a free
// port (socket and 127.0.0.1), as `postgres` when root; stopped and removed with the object.
#pragma once

#include <memory>
#include <string>

#include "db/connection.h"
#include "db/embedded_postgres.h"
#include "harness/test_cluster.h"

namespace keepsake::testing {

class OwnCluster {
 public:
  OwnCluster();
  ~OwnCluster();

  // DB_URL of the `immich` database, over the Unix socket as the superuser.
  std::string url() const;
  DatabaseConfig config() const { return pg_->connection_config(); }
  std::unique_ptr<db::Connection> connect() const { return db::Connection::open(config()); }
  // `pg_ctl stop -m fast` then start: every session is terminated, as a server restart does.
  void restart();
  // A folder beside the cluster, removed with it.
  const std::string& folder() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::unique_ptr<db::EmbeddedPostgres> pg_;
};

// An admin user and an api key (`key`, every permission) for it, as Immich stores them; returns the
// user's id. The database must hold Immich's schema.
std::string insert_admin_with_api_key(db::Connection& conn, const std::string& key);

}  // namespace keepsake::testing
