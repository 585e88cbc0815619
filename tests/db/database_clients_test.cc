// Who else is connected: Immich's postgres.js sessions, other Keepsakes and unknown clients are
// told apart; this process's own sessions are left out.
#include "db/database_clients.h"

#include <gtest/gtest.h>

#include "harness/other_client.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

using keepsake::testing::DatabaseTest;
using keepsake::testing::OtherClient;

TEST(DatabaseClientsKindTest, ByApplicationName) {
  EXPECT_EQ(classify_application_name("postgres.js"), ClientKind::kImmich);
  EXPECT_EQ(classify_application_name("keepsake"), ClientKind::kKeepsake);
  EXPECT_EQ(classify_application_name("keepsake-maintenance"), ClientKind::kKeepsake);
  EXPECT_EQ(classify_application_name("psql"), ClientKind::kUnknown);
  EXPECT_EQ(classify_application_name(""), ClientKind::kUnknown);
}

TEST(DatabaseClientsKindTest, OnlyUnknownClientsAreUntoldWithAChannel) {
  std::vector<DatabaseClient> clients = {{1, ClientKind::kImmich}, {2, ClientKind::kKeepsake}, {3, ClientKind::kUnknown}};
  auto without = clients_not_told(clients, false);
  ASSERT_EQ(without.size(), 2u);
  EXPECT_EQ(without[0].pid, 1);
  EXPECT_EQ(without[1].pid, 3);
  auto with = clients_not_told(clients, true);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0].pid, 3);
}

// Clients over TCP log in with a password: a role of their own.
class DatabaseClientsTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    role_ = "client_" + db_name_;
    conn_->exec("CREATE ROLE " + quote_ident(role_) + " LOGIN PASSWORD 'pw'");
    tcp_ = keepsake::testing::tcp_config(db_name_, role_, "pw");
  }
  void TearDown() override {
    conn_->exec("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", {role_});
    conn_->exec("DROP ROLE " + quote_ident(role_));
    DatabaseTest::TearDown();
  }
  std::string role_;
  DatabaseConfig tcp_;
};

TEST_F(DatabaseClientsTest, RecognisesImmichAnotherKeepsakeAndUnknownOnes) {
  auto own_second = Connection::open(db_config_);  // this process's: never listed
  OtherClient immich(db_config_, "postgres.js");
  OtherClient keepsake(db_config_, "keepsake");
  OtherClient tool(tcp_, "some-tool");
  ASSERT_TRUE(immich.connected() && keepsake.connected() && tool.connected());
  auto clients = list_other_clients(*conn_, db_name_);
  ASSERT_EQ(clients.size(), 3u);
  EXPECT_EQ(clients[0].kind, ClientKind::kImmich);
  EXPECT_EQ(clients[0].pid, immich.pid());
  EXPECT_EQ(clients[0].address, "local socket");
  EXPECT_EQ(clients[0].state, "idle");
  EXPECT_EQ(clients[1].kind, ClientKind::kKeepsake);
  std::string line = describe_client(clients[0]);
  EXPECT_EQ(line.rfind("immich  postgres.js  local socket  since 20", 0), 0u) << line;
  EXPECT_EQ(clients[2].kind, ClientKind::kUnknown);
  EXPECT_EQ(clients[2].application_name, "some-tool");
  EXPECT_EQ(clients[2].user, role_);
  EXPECT_EQ(clients[2].address.rfind("127.0.0.1:", 0), 0u) << clients[2].address;
}

TEST_F(DatabaseClientsTest, ANamelessSessionFromAnImmichAddressIsImmichs) {
  OtherClient immich(tcp_, "postgres.js");
  OtherClient dump(tcp_, "");
  OtherClient local(db_config_, "");  // nameless, but not from Immich's address
  ASSERT_TRUE(immich.connected() && dump.connected() && local.connected());
  auto clients = list_other_clients(*conn_, db_name_);
  ASSERT_EQ(clients.size(), 3u);
  EXPECT_EQ(clients[1].kind, ClientKind::kImmich);
  EXPECT_EQ(clients[1].application_name, "");
  EXPECT_EQ(clients[2].kind, ClientKind::kUnknown);
}

}  // namespace
}  // namespace keepsake::db
