// `keepsake maintenance enable|status|disable` as a real process: Immich's messages, a login URL
// whose token verifies against the stored secret, and the record switched on and off.
#include <gtest/gtest.h>

#include <regex>

#include "harness/bootstrapped_database.h"
#include "harness/keepsake_process.h"
#include "maintenance/maintenance_state.h"
#include "maintenance/maintenance_token.h"

namespace keepsake {
namespace {

class MaintenanceCommandTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  std::string run(const std::string& command) {
    std::map<std::string, std::string> env = {
        {"DB_URL", keepsake::testing::database_url(db_name_)},
        {"IMMICH_MEDIA_LOCATION", dir_.path()}};
    keepsake::testing::KeepsakeProcess p(env, dir_.path(), {"maintenance", command});
    EXPECT_EQ(p.wait_exit(), 0) << p.stderr_text();
    return p.stdout_text();
  }
  static std::string token_in(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex("/maintenance\\?token=([A-Za-z0-9_.-]+)")) ? m[1].str() : "";
  }
  keepsake::testing::TempDir dir_;
};

TEST_F(MaintenanceCommandTest, EnableStatusDisable) {
  EXPECT_NE(run("status").find("Maintenance mode: off"), std::string::npos);
  std::string enabled = run("enable");
  EXPECT_NE(enabled.find("Maintenance mode has been enabled."), std::string::npos) << enabled;
  EXPECT_NE(enabled.find("https://my.immich.app/maintenance?token="), std::string::npos);
  auto state = maintenance::read_maintenance_state(*conn_);
  ASSERT_TRUE(state.active);
  EXPECT_EQ(maintenance::verify_maintenance_token(state.secret, token_in(enabled)), "cli-admin");

  std::string again = run("enable");
  EXPECT_NE(again.find("The server is already in maintenance mode!"), std::string::npos);
  EXPECT_EQ(maintenance::read_maintenance_state(*conn_).secret, state.secret);  // the secret is kept
  std::string status = run("status");
  EXPECT_NE(status.find("Maintenance mode: on (action start)"), std::string::npos) << status;
  EXPECT_TRUE(maintenance::verify_maintenance_token(state.secret, token_in(status)));

  EXPECT_NE(run("disable").find("Maintenance mode has been disabled."), std::string::npos);
  EXPECT_FALSE(maintenance::read_maintenance_state(*conn_).active);
  EXPECT_NE(run("disable").find("The server is already out of maintenance mode!"), std::string::npos);
}

}  // namespace
}  // namespace keepsake
