#include "config/keepsake_settings.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "config/system_config.h"
#include "harness/test_cluster.h"

namespace keepsake::config {
namespace {

using nlohmann::json;

class KeepsakeSettingsTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->exec(R"(CREATE TABLE "system_metadata" ("key" varchar PRIMARY KEY, "value" jsonb NOT NULL))");
  }
  json stored(const char* key) {
    auto r = conn_->exec(R"(SELECT "value"::text FROM "system_metadata" WHERE "key" = $1)", {key});
    return r.empty() ? json() : json::parse(r.text(0, 0));
  }
};

TEST_F(KeepsakeSettingsTest, DefaultsAreWeeklyBaseBackupsAFortnightsWindowAndFilesAfterTheDump) {
  json full = load_keepsake_settings(*conn_);
  auto pitr = pitr_settings(full);
  EXPECT_TRUE(pitr.base_backup_enabled);
  EXPECT_EQ(pitr.base_backup_cron, "0 03 * * 0");
  EXPECT_EQ(pitr.recovery_window_days, 14);
  auto files = files_backup_settings(full);
  EXPECT_TRUE(files.enabled);
  EXPECT_TRUE(files.after_database_backup);
  EXPECT_EQ(files.keep_daily + files.keep_weekly + files.keep_monthly, 0) << "keepLastAmount alone";
  auto check = files_check_settings(full);
  EXPECT_TRUE(check.enabled);
  EXPECT_EQ(check.cron_expression, "0 05 * * 0");
  EXPECT_EQ(check.full_read_days, 28);
  EXPECT_TRUE(stored("keepsake-config").is_null()) << "reading writes nothing";
}

TEST_F(KeepsakeSettingsTest, OnlyDifferencesAreStoredApartFromImmichsSystemConfig) {
  json full = load_keepsake_settings(*conn_);
  full["pitr"]["recoveryWindowDays"] = 30;
  json back = save_keepsake_settings(*conn_, full);
  EXPECT_EQ(pitr_settings(back).recovery_window_days, 30);
  EXPECT_EQ(stored("keepsake-config"), json::parse(R"({"pitr":{"recoveryWindowDays":30}})"));
  EXPECT_TRUE(stored("system-config").is_null());

  save_system_config(*conn_, system_config_defaults());  // Immich's settings saved: ours stay
  EXPECT_EQ(pitr_settings(load_keepsake_settings(*conn_)).recovery_window_days, 30);
}

TEST_F(KeepsakeSettingsTest, BadValuesAreRefusedByNameAndNothingIsStored) {
  json full = load_keepsake_settings(*conn_);
  full["pitr"]["baseBackup"]["cronExpression"] = "every sunday";
  try {
    save_keepsake_settings(*conn_, full);
    FAIL() << "an invalid cron expression was stored";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pitr.baseBackup.cronExpression"), std::string::npos) << e.what();
  }
  full = load_keepsake_settings(*conn_);
  full["pitr"]["recoveryWindowDays"] = 0;
  EXPECT_THROW(save_keepsake_settings(*conn_, full), Error);
  full = load_keepsake_settings(*conn_);
  full["files"]["backup"]["afterDatabaseBackup"] = "yes";
  EXPECT_THROW(save_keepsake_settings(*conn_, full), Error);
  full = load_keepsake_settings(*conn_);
  full["files"]["retention"]["keepWeekly"] = -1;
  EXPECT_THROW(save_keepsake_settings(*conn_, full), Error);
  full = load_keepsake_settings(*conn_);
  full["files"]["check"]["cronExpression"] = "weekly";
  try {
    save_keepsake_settings(*conn_, full);
    FAIL() << "an invalid check cron expression was stored";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("files.check.cronExpression"), std::string::npos) << e.what();
  }
  full = load_keepsake_settings(*conn_);
  full["files"]["check"]["fullReadDays"] = 0;
  EXPECT_THROW(save_keepsake_settings(*conn_, full), Error);
  EXPECT_TRUE(stored("keepsake-config").is_null());
}

}  // namespace
}  // namespace keepsake::config
