// The throwaway PostgreSQL cluster of a test run, and a fresh database per test.
//
// Under ctest, the fixture test `pg_cluster_start` creates one cluster (initdb in a temp folder,
// a random port on 127.0.0.1 plus a Unix socket, run as 'postgres' when root, pgvector available)
// and writes its address to $KEEPSAKE_TEST_CLUSTER/cluster.env; every test reads it. Run directly
// (without ctest), the test binary starts its own cluster once and stops it at exit.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "db/connection.h"

namespace keepsake::testing {

struct ClusterAddress {
  std::string socket_dir;
  int port = 0;
  std::string superuser = "postgres";
};

// The cluster of this run (started on first use when not under ctest).
const ClusterAddress& cluster();

// A DatabaseConfig for `dbname` on the test cluster, as the superuser over the Unix socket.
DatabaseConfig superuser_config(const std::string& dbname = "postgres");
// Same, over TCP 127.0.0.1 with a user and password (for authentication tests).
DatabaseConfig tcp_config(const std::string& dbname, const std::string& user,
                          const std::string& password);

// The DB_URL of `dbname` on the test cluster (superuser, Unix socket), for keepsake processes.
std::string database_url(const std::string& dbname);

// A Config whose database is `dbname` on the test cluster (not embedded).
Config config_for(const std::string& dbname);

// Base fixture: a fresh, empty database per test, dropped afterwards.
class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string db_name_;
  DatabaseConfig db_config_;
  std::unique_ptr<db::Connection> conn_;  // superuser connection to the fresh database
};

// Creates a fresh empty database with a unique name and returns its name.
std::string create_fresh_database(const std::string& prefix = "t");
void drop_database(const std::string& name);

// A temporary folder removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace keepsake::testing
