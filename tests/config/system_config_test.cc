#include "config/system_config.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "db/system_metadata.h"
#include "harness/test_cluster.h"

namespace keepsake::config {
namespace {

using nlohmann::json;

class SystemConfigTest : public keepsake::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->exec(R"(CREATE TABLE "system_metadata" ("key" varchar PRIMARY KEY, "value" jsonb NOT NULL))");
  }
  json stored() {
    auto r = conn_->exec(R"(SELECT "value"::text FROM "system_metadata" WHERE "key" = 'system-config')");
    return r.empty() ? json() : json::parse(r.text(0, 0));
  }
};

TEST(SystemConfigPureTest, DefaultsAreImmichs) {
  const json& d = system_config_defaults();
  EXPECT_EQ(d["backup"]["database"], json::parse(R"({"enabled":true,"cronExpression":"0 02 * * *","keepLastAmount":14})"));
  EXPECT_EQ(d["nightlyTasks"]["startTime"], "00:00");
  EXPECT_EQ(d["nightlyTasks"]["databaseCleanup"], true);
  EXPECT_EQ(d["trash"], json::parse(R"({"enabled":true,"days":30})"));
  EXPECT_EQ(d["user"]["deleteDelay"], 7);
  EXPECT_EQ(d["machineLearning"]["clip"], json::parse(R"({"enabled":true,"modelName":"ViT-B-32__openai"})"));
  EXPECT_NO_THROW(validate_system_config(d));
}

TEST(SystemConfigPureTest, DiffKeepsOnlyChangedLeavesAndTreatsEmptyAsUnset) {
  json full = system_config_defaults();
  full["backup"]["database"]["keepLastAmount"] = 5;
  full["storageTemplate"]["template"] = "";
  full["machineLearning"]["urls"] = json::array({"http://ml:3003"});  // not modelled: kept
  EXPECT_EQ(diff_from_defaults(full),
            json::parse(R"({"backup":{"database":{"keepLastAmount":5}},"machineLearning":{"urls":["http://ml:3003"]}})"));
  EXPECT_EQ(diff_from_defaults(system_config_defaults()), json::object());
}

TEST(SystemConfigPureTest, MergeSetsLeavesAndArraysAsWholeValues) {
  json merged = merge_with_defaults(json::parse(R"({"trash":{"days":3},"machineLearning":{"urls":["a","b"]}})"));
  EXPECT_EQ(merged["trash"]["days"], 3);
  EXPECT_EQ(merged["trash"]["enabled"], true);
  EXPECT_EQ(merged["machineLearning"]["urls"], json::array({"a", "b"}));
  EXPECT_EQ(merged["machineLearning"]["clip"]["enabled"], true);
}

TEST(SystemConfigPureTest, TypedViews) {
  json full = merge_with_defaults(json::parse(
      R"({"backup":{"database":{"enabled":false,"cronExpression":"0 3 * * *","keepLastAmount":2}},
          "nightlyTasks":{"startTime":"03:30","databaseCleanup":false},"user":{"deleteDelay":1}})"));
  auto b = database_backup_settings(full);
  EXPECT_FALSE(b.enabled);
  EXPECT_EQ(b.cron_expression, "0 3 * * *");
  EXPECT_EQ(b.keep_last_amount, 2);
  auto n = nightly_tasks_settings(full);
  EXPECT_EQ(n.start_time, "03:30");
  EXPECT_FALSE(n.database_cleanup);
  EXPECT_TRUE(n.generate_memories);
  EXPECT_EQ(user_delete_delay_days(full), 1);
  EXPECT_EQ(trash_settings(full).days, 30);
  EXPECT_EQ(clip_settings(full).model_name, "ViT-B-32__openai");
}

TEST(SystemConfigPureTest, ValidationNamesTheBadKey) {
  struct Case {
    const char* overrides;
    const char* key;
  } cases[] = {
      {R"({"backup":{"database":{"cronExpression":"0 25 * * *"}}})", "backup.database.cronExpression"},
      {R"({"backup":{"database":{"keepLastAmount":0}}})", "backup.database.keepLastAmount"},
      {R"({"backup":{"database":{"keepLastAmount":1.5}}})", "backup.database.keepLastAmount"},
      {R"({"backup":{"database":{"enabled":"yes"}}})", "backup.database.enabled"},
      {R"({"nightlyTasks":{"startTime":"24:00"}})", "nightlyTasks.startTime"},
      {R"({"trash":{"days":-1}})", "trash.days"},
      {R"({"user":{"deleteDelay":0}})", "user.deleteDelay"},
      {R"({"machineLearning":{"clip":{"modelName":""}}})", "machineLearning.clip.modelName"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.overrides);
    try {
      validate_system_config(merge_with_defaults(json::parse(c.overrides)));
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(c.key), std::string::npos) << e.what();
    }
  }
  // A bad cron is accepted while the backup is disabled, as Immich does.
  EXPECT_NO_THROW(validate_system_config(merge_with_defaults(
      json::parse(R"({"backup":{"database":{"enabled":false,"cronExpression":"nonsense"}}})"))));
}

TEST_F(SystemConfigTest, EmptyDatabaseReadsDefaults) {
  EXPECT_EQ(load_system_config(*conn_), system_config_defaults());
}

TEST_F(SystemConfigTest, SaveStoresOnlyDifferencesAsImmichDoes) {
  json full = load_system_config(*conn_);
  full["backup"]["database"]["keepLastAmount"] = 3;
  full["nightlyTasks"]["startTime"] = "01:15";
  json effective = save_system_config(*conn_, full);
  EXPECT_EQ(stored(), json::parse(R"({"backup":{"database":{"keepLastAmount":3}},"nightlyTasks":{"startTime":"01:15"}})"));
  EXPECT_EQ(effective["backup"]["database"]["keepLastAmount"], 3);
  EXPECT_EQ(effective["backup"]["database"]["cronExpression"], "0 02 * * *");

  // Setting a value back to its default removes it from the stored row.
  full["backup"]["database"]["keepLastAmount"] = 14;
  save_system_config(*conn_, full);
  EXPECT_EQ(stored(), json::parse(R"({"nightlyTasks":{"startTime":"01:15"}})"));
}

TEST_F(SystemConfigTest, KeysWrittenByImmichThatKeepsakeDoesNotModelSurviveASave) {
  conn_->exec(R"(INSERT INTO "system_metadata" VALUES ('system-config',
      '{"ffmpeg":{"crf":30},"oauth":{"enabled":true,"scope":"openid"},"trash":{"days":10}}'))");
  json full = load_system_config(*conn_);
  EXPECT_EQ(full["ffmpeg"]["crf"], 30);
  EXPECT_EQ(trash_settings(full).days, 10);
  full["user"]["deleteDelay"] = 2;
  save_system_config(*conn_, full);
  EXPECT_EQ(stored(), json::parse(
      R"({"ffmpeg":{"crf":30},"oauth":{"enabled":true,"scope":"openid"},"trash":{"days":10},"user":{"deleteDelay":2}})"));
}

TEST_F(SystemConfigTest, InvalidWriteIsRejectedAndStoresNothing) {
  conn_->exec(R"(INSERT INTO "system_metadata" VALUES ('system-config', '{"trash":{"days":10}}'))");
  json full = load_system_config(*conn_);
  full["backup"]["database"]["cronExpression"] = "0 0 * * * * * *";
  EXPECT_THROW(save_system_config(*conn_, full), Error);
  EXPECT_EQ(stored(), json::parse(R"({"trash":{"days":10}})"));
}

TEST_F(SystemConfigTest, InvalidStoredValueIsReadButTypedViewRefusesIt) {
  conn_->exec(R"(INSERT INTO "system_metadata" VALUES ('system-config', '{"backup":{"database":{"keepLastAmount":"many"}}}'))");
  json full = load_system_config(*conn_);
  EXPECT_EQ(full["backup"]["database"]["keepLastAmount"], "many");
  EXPECT_THROW(database_backup_settings(full), Error);
}

}  // namespace
}  // namespace keepsake::config
