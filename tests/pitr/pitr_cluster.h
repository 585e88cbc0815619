// A throwaway PostgreSQL cluster of its own for each PITR test (the shared test cluster must not
// carry a replication slot or a WAL archive): started on a free port, as the postgres user when
// root, with a small Immich-shaped database (kysely_migrations, and an `items` table), removed
// afterwards.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/connection.h"
#include "db/embedded_postgres.h"
#include "harness/test_cluster.h"

namespace keepsake::testing {

class PitrTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // The cluster: in <dir>/pg, on a free port, also over TCP.
  virtual db::EmbeddedOptions cluster_options();

  // Commits one row in its own transaction; returns the server's clock right after the commit
  // (microseconds since the epoch).
  int64_t commit_item(const std::string& label);
  // Starts a recovered data folder as a cluster and returns its items' labels, in order.
  std::vector<std::string> items_in(const std::string& recovered_data_dir);

  TempDir dir_;
  std::string archive_;
  int port_ = 0;
  std::unique_ptr<db::EmbeddedPostgres> pg_;
  DatabaseConfig db_;
  std::unique_ptr<db::Connection> conn_;
};

// The same cluster whose database is Immich's (Keepsake's boot), with an admin (a restore checks
// both); rows are users t1, t2, ... committed one per transaction.
class PitrImmichTest : public PitrTest {
 protected:
  void make_immich_database();
  // Inserts a user named `name`; returns the server's clock right after the commit.
  int64_t commit_user(const std::string& name);
  // The live database's non-admin users, oldest first.
  std::vector<std::string> live_users();
};

// The same, as Keepsake's own embedded cluster of the data folder <dir>/data (no DB_URL): the
// cluster in data/postgres, on its socket only, the archive in data/pitr.
class PitrEmbeddedTest : public PitrImmichTest {
 protected:
  db::EmbeddedOptions cluster_options() override;
  std::string data_dir() const { return dir_.path() + "/data"; }
  // KEEPSAKE_DATA_DIR and IMMICH_MEDIA_LOCATION for the keepsake binary.
  std::map<std::string, std::string> keepsake_env() const;
};

}  // namespace keepsake::testing
