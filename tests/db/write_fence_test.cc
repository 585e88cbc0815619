// The write fence against the real PostgreSQL: other sessions' writes are refused (SQLSTATE
// 25006) while reads work, this process's own connections still write, the lift puts the
// database back as it was, an abandoned fence (its holder gone) is lifted by the next look, and a
// role without the privilege is detected.
#include "db/write_fence.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "harness/other_client.h"
#include "harness/test_cluster.h"

namespace keepsake::db {
namespace {

using keepsake::testing::DatabaseTest;
using keepsake::testing::OtherClient;

class WriteFenceTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->exec("CREATE TABLE probe (label text)");
    conn_->exec("COMMENT ON DATABASE " + quote_ident(db_name_) + " IS 'the family library'");
  }
  std::string comment() {
    return conn_->exec("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", {db_name_})
        .text(0, 0);
  }
  bool read_only_set() {
    return conn_
        ->exec("SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, "
               "unnest(s.setconfig) c WHERE d.datname = $1 AND c LIKE 'default_transaction_read_only=%'",
               {db_name_})
        .int64(0, 0) > 0;
  }
};

TEST_F(WriteFenceTest, OthersReadButCannotWriteWhileItIsUp) {
  OtherClient before(db_config_, "postgres.js");
  ASSERT_EQ(before.exec("INSERT INTO probe VALUES ('before')"), "");

  auto fence = WriteFence::raise(db_config_, "test");
  EXPECT_GE(fence->ended_sessions(), 1);
  EXPECT_TRUE(write_fence_held_here());
  EXPECT_EQ(before.exec("SELECT 1"), "connection");  // its session was ended

  OtherClient during(db_config_, "postgres.js");
  EXPECT_EQ(during.exec("SELECT count(*) FROM probe"), "");  // reads work
  EXPECT_EQ(during.value(), "1");
  EXPECT_EQ(during.exec("INSERT INTO probe VALUES ('during')"), "25006");
  EXPECT_EQ(before.exec("INSERT INTO probe VALUES ('during')"), "25006");  // it reconnected read-only

  auto own = Connection::open(db_config_);  // this process's connections write
  own->exec("INSERT INTO probe VALUES ('own')");
  EXPECT_NE(comment().find(kWriteFenceMarker), std::string::npos);

  fence->lift();
  EXPECT_FALSE(write_fence_held_here());
  EXPECT_EQ(comment(), "the family library");
  EXPECT_FALSE(read_only_set());
  EXPECT_EQ(during.exec("SELECT 1"), "connection");  // read-only sessions are ended at the lift
  EXPECT_EQ(during.exec("INSERT INTO probe VALUES ('after')"), "");
  EXPECT_EQ(conn_->exec("SELECT string_agg(label, ',' ORDER BY label) FROM probe").text(0, 0), "after,before,own");
}

TEST_F(WriteFenceTest, ASettingThatWasThereStaysAfterTheLift) {
  conn_->exec("ALTER DATABASE " + quote_ident(db_name_) + " SET default_transaction_read_only = off");
  WriteFence::raise(db_config_, "test").reset();  // lifted by its destructor
  auto r = conn_->exec(
      "SELECT c FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c "
      "WHERE d.datname = $1",
      {db_name_});
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.text(0, 0), "default_transaction_read_only=off");
}

TEST_F(WriteFenceTest, AFenceWhoseHolderIsGoneIsLiftedByTheNextLook) {
  auto fence = WriteFence::raise(db_config_, "a restore that was killed");
  EXPECT_TRUE(lift_abandoned_fences(db_config_).empty());  // its holder lives: left alone
  EXPECT_THROW(WriteFence::raise(db_config_, "a second one"), Error);
  conn_->exec("SELECT pg_terminate_backend((substr(shobj_description(oid, 'pg_database'), length($2) + 1)::json "
              "->> 'holderPid')::int, 5000) FROM pg_database WHERE datname = $1",
              {db_name_, kWriteFenceMarker});
  auto messages = lift_abandoned_fences(db_config_);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("a restore that was killed"), std::string::npos);
  EXPECT_FALSE(read_only_set());
  EXPECT_EQ(comment(), "the family library");
  OtherClient after(db_config_, "postgres.js");
  EXPECT_EQ(after.exec("INSERT INTO probe VALUES ('after')"), "");
  fence.reset();  // finds nothing left to lift
}

TEST_F(WriteFenceTest, ARoleThatMayNotIsDetected) {
  std::string owner = "fence_owner_" + db_name_, stranger = "fence_stranger_" + db_name_;
  conn_->exec("CREATE ROLE " + quote_ident(owner) + " LOGIN PASSWORD 'pw'");
  conn_->exec("CREATE ROLE " + quote_ident(stranger) + " LOGIN PASSWORD 'pw'");
  conn_->exec("ALTER DATABASE " + quote_ident(db_name_) + " OWNER TO " + quote_ident(owner));
  {
    auto as_owner = Connection::open(keepsake::testing::tcp_config(db_name_, owner, "pw"));
    EXPECT_TRUE(check_write_fence(*as_owner, db_name_).possible());
    OtherClient superuser(db_config_, "some-tool");  // a superuser's session: only a superuser may end it
    ASSERT_TRUE(superuser.connected());
    auto check = check_write_fence(*as_owner, db_name_);
    EXPECT_TRUE(check.may_alter);
    ASSERT_EQ(check.unstoppable.size(), 1u);
    EXPECT_NE(check.unstoppable[0].find("some-tool"), std::string::npos);
    EXPECT_THROW(WriteFence::raise(keepsake::testing::tcp_config(db_name_, owner, "pw"), "test"), Error);
    EXPECT_FALSE(read_only_set());

    auto as_stranger = Connection::open(keepsake::testing::tcp_config(db_name_, stranger, "pw"));
    EXPECT_FALSE(check_write_fence(*as_stranger, db_name_).may_alter);
    EXPECT_NE(check_write_fence(*as_stranger, db_name_).why_not().find("own it"), std::string::npos);
  }
  conn_->exec("ALTER DATABASE " + quote_ident(db_name_) + " OWNER TO postgres");
  conn_->exec("DROP ROLE " + quote_ident(owner));
  conn_->exec("DROP ROLE " + quote_ident(stranger));
}

}  // namespace
}  // namespace keepsake::db
