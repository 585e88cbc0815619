// An external cluster as Immich's container gives it: reached only over TCP with a password, by a
// role that has REPLICATION and is not a superuser (its socket refuses the role). It is archived
// through `enable` and recovered to a time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "harness/keepsake_process.h"
#include "pitr/pitr.h"
#include "pitr/pitr_cluster.h"

namespace keepsake::pitr {
namespace {
using namespace std::chrono_literals;
using ::testing::ElementsAre;

class PitrExternalTest : public keepsake::testing::PitrTest {};

TEST_F(PitrExternalTest, ARoleWithReplicationOverTcpIsArchivedAndRecoveredToATime) {
  conn_->exec("CREATE ROLE archivist LOGIN REPLICATION PASSWORD 'not-a-secret'");
  std::string hba = keepsake::testing::read_file(pg_->data_dir() + "/pg_hba.conf");
  std::ofstream(pg_->data_dir() + "/pg_hba.conf", std::ios::trunc) << "local all archivist reject\n" << hba;
  conn_->exec("SELECT pg_reload_conf()");
  DatabaseConfig tcp = db_;
  tcp.host = "127.0.0.1";
  tcp.user = "archivist";
  tcp.password = "not-a-secret";
  auto role = db::Connection::open(tcp)->exec("SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user");
  ASSERT_FALSE(role.boolean(0, 0));
  ASSERT_TRUE(role.boolean(0, 1));

  auto enabled = enable({.db = tcp, .archive_dir = archive_});
  EXPECT_TRUE(enabled.base.verified);
  commit_item("t1");
  int64_t after_t2 = commit_item("t2");
  std::this_thread::sleep_for(50ms);
  commit_item("t3");
  stream_until_current(tcp, archive_, 30s);
  std::vector<std::string> labels;
  recover({.archive_dir = archive_, .target = {RecoveryTarget::Kind::kTime, after_t2, ""}, .database = "immich",
           .user = "postgres", .timeout = 60s,
           .inspect = [&](db::Connection& c) {
             auto r = c.exec("SELECT label FROM items ORDER BY id");
             for (int i = 0; i < r.rows(); ++i) labels.push_back(r.text(i, 0));
           },
           .keep = false});
  EXPECT_THAT(labels, ElementsAre("t1", "t2"));
}

}  // namespace
}  // namespace keepsake::pitr
