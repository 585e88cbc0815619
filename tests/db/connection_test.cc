#include "db/connection.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/error.h"
#include "db/pool.h"
#include "db/server_version.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

using keepsake::testing::DatabaseTest;

class ConnectionTest : public DatabaseTest {};

TEST_F(ConnectionTest, ParameterisedQueriesKeepValuesOutOfSqlText) {
  conn_->exec("CREATE TABLE t (name text, data bytea)");
  std::string hostile = "x'); DROP TABLE t; --";
  std::string bytes("\x00\x01\xff'\"\\", 6);
  conn_->exec("INSERT INTO t VALUES ($1, $2::bytea)", {hostile, bytea_param(bytes)});
  auto r = conn_->exec("SELECT name, data FROM t");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.text(0, "name"), hostile);
  EXPECT_EQ(r.bytea(0, 1), bytes);
  EXPECT_TRUE(conn_->exec("SELECT $1::text IS NULL", {std::nullopt}).boolean(0, 0));
}

TEST_F(ConnectionTest, SessionsRunInUtc) {
  EXPECT_EQ(conn_->exec("SHOW TimeZone").text(0, 0), "UTC");
}

TEST_F(ConnectionTest, ErrorsCarrySqlstateAndPurpose) {
  try {
    conn_->exec("SELECT * FROM no_such_table", {}, "read the missing table");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kDatabase);
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(std::string(e.what()).find("cannot read the missing table"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos);
  }
}

TEST_F(ConnectionTest, PreparedStatementsArePreparedOnceAndSurviveSessionChanges) {
  conn_->exec("CREATE TABLE t (v int)");
  conn_->exec("INSERT INTO t SELECT generate_series(1, 10)");
  const std::string sql = "SELECT * FROM t WHERE v <= $1::int ORDER BY v";
  auto count_statements = [&] {
    return conn_->exec("SELECT count(*) FROM pg_prepared_statements").int64(0, 0);
  };
  EXPECT_EQ(conn_->exec_prepared(sql, {"3"}).rows(), 3);
  EXPECT_EQ(conn_->exec_prepared(sql, {"7"}).rows(), 7);
  EXPECT_EQ(count_statements(), 1);
  EXPECT_EQ(conn_->prepared_count(), 1u);

  // A new column changes what SELECT * returns: the statement is prepared again, not an error.
  conn_->exec("ALTER TABLE t ADD COLUMN w text DEFAULT 'x'");
  auto r = conn_->exec_prepared(sql, {"2"});
  EXPECT_EQ(r.rows(), 2);
  EXPECT_EQ(r.columns(), 2);
  EXPECT_EQ(r.text(1, "w"), "x");

  // Statements dropped behind the cache's back are prepared again as well.
  conn_->exec("DEALLOCATE ALL");
  EXPECT_EQ(conn_->exec_prepared(sql, {"4"}).rows(), 4);
  EXPECT_EQ(count_statements(), 1);

  // Errors carry the purpose, whether at prepare time or at execution.
  try {
    conn_->exec_prepared("SELECT * FROM no_such_table", {}, "read the missing table");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(std::string(e.what()).find("cannot read the missing table"), std::string::npos);
  }
  EXPECT_THROW(conn_->exec_prepared(sql, {"not a number"}), Error);
  EXPECT_EQ(conn_->exec_prepared(sql, {"1"}).rows(), 1);
}

TEST_F(ConnectionTest, PreparedStatementsAreCappedPerConnection) {
  for (size_t i = 0; i < Connection::kMaxPrepared + 5; ++i) {
    auto r = conn_->exec_prepared("SELECT $1::int + " + std::to_string(i), {"1"});
    EXPECT_EQ(r.int64(0, 0), static_cast<int64_t>(i) + 1);
  }
  EXPECT_LE(conn_->prepared_count(), Connection::kMaxPrepared);
  EXPECT_LE(conn_->exec("SELECT count(*) FROM pg_prepared_statements").int64(0, 0),
            static_cast<int64_t>(Connection::kMaxPrepared));
  EXPECT_EQ(conn_->exec_prepared("SELECT $1::int + 0", {"41"}).int64(0, 0), 41);
}

TEST_F(ConnectionTest, TransactionRollsBackUnlessCommitted) {
  conn_->exec("CREATE TABLE t (v int)");
  {
    Transaction tx(*conn_);
    tx.exec("INSERT INTO t VALUES (1)");
  }
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM t").int64(0, 0), 0);
  {
    Transaction tx(*conn_);
    tx.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM t").int64(0, 0), 1);
}

TEST_F(ConnectionTest, CopyInAndOutStream) {
  conn_->exec("CREATE TABLE t (id int, name text)");
  conn_->copy_in_begin("COPY t FROM STDIN");
  for (int i = 0; i < 1000; ++i) conn_->copy_in_put(std::to_string(i) + "\tname" + std::to_string(i) + "\n");
  EXPECT_EQ(conn_->copy_in_end(), 1000);
  size_t bytes = 0;
  int64_t rows = conn_->copy_out("COPY t TO STDOUT", [&](std::string_view chunk) { bytes += chunk.size(); });
  EXPECT_EQ(rows, 1000);
  EXPECT_GT(bytes, 9000u);
}

TEST_F(ConnectionTest, CopyInReportsBadData) {
  conn_->exec("CREATE TABLE t (id int)");
  conn_->copy_in_begin("COPY t FROM STDIN");
  conn_->copy_in_put("not-a-number\n");
  EXPECT_THROW(conn_->copy_in_end(), Error);
  EXPECT_TRUE(conn_->healthy());
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM t").int64(0, 0), 0);
}

TEST_F(ConnectionTest, ListenNotifyAcrossConnections) {
  conn_->listen("keepsake_test");
  auto other = Connection::open(db_config_);
  other->notify("keepsake_test", "hello");
  auto n = conn_->wait_notification(std::chrono::seconds(5));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, "keepsake_test");
  EXPECT_EQ(n->payload, "hello");
  EXPECT_FALSE(conn_->wait_notification(std::chrono::milliseconds(50)).has_value());
}

TEST_F(ConnectionTest, PoolIsBoundedAndReusesConnections) {
  Pool pool(db_config_, 2);
  int first_pid;
  {
    auto a = pool.acquire();
    first_pid = a->backend_pid();
    auto b = pool.acquire();
    EXPECT_NE(a->backend_pid(), b->backend_pid());
    EXPECT_THROW(pool.acquire(std::chrono::milliseconds(100)), Error);
  }
  auto c = pool.acquire();
  auto d = pool.acquire();
  EXPECT_TRUE(c->backend_pid() == first_pid || d->backend_pid() == first_pid);
}

TEST_F(ConnectionTest, PoolDropsConnectionsLeftInATransaction) {
  Pool pool(db_config_, 1);
  int pid;
  {
    auto a = pool.acquire();
    pid = a->backend_pid();
    a->exec("BEGIN");
  }
  auto b = pool.acquire();
  EXPECT_NE(b->backend_pid(), pid);
}

TEST_F(ConnectionTest, WrongPasswordIsUnauthorizedAndNeverEchoed) {
  conn_->exec("CREATE ROLE keepsake_pw_user LOGIN PASSWORD 'right-password'");
  try {
    Connection::open(keepsake::testing::tcp_config(db_name_, "keepsake_pw_user", "wrong-horse-battery"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    EXPECT_EQ(std::string(e.full_message()).find("wrong-horse-battery"), std::string::npos);
  }
  auto ok = Connection::open(keepsake::testing::tcp_config(db_name_, "keepsake_pw_user", "right-password"));
  EXPECT_TRUE(ok->healthy());
  ok.reset();
  conn_->exec("DROP ROLE keepsake_pw_user");
}

TEST(ServerVersionTest, CoercesLikeSemver) {
  auto v = coerce_version("15.20 (Debian 15.20-0+deb12u1)");
  EXPECT_EQ(v.major, 15);
  EXPECT_EQ(v.minor, 20);
  EXPECT_EQ(coerce_version("14beta2").major, 14);
}

TEST_F(ConnectionTest, ServerVersionCheckPassesOnTheTestServer) {
  EXPECT_NO_THROW(check_server_version(*conn_));
  EXPECT_GE(read_server_version(*conn_).major, 14);
}

}  // namespace
}  // namespace keepsake::db
