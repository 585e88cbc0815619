// The routes' JSON body readers: Immich's messages, and refusals (never a 500) for the hostile
// bodies the JSON fuzz target tries.
#include "http/request_bodies.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace keepsake::http {
namespace {

using nlohmann::json;

std::string refusal(const std::function<void()>& read) {
  try {
    read();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

TEST(RequestBodies, LoginAndSignUp) {
  auto login = read_login_body(json{{"email", "  Admin@Example.COM "}, {"password", "p"}});
  EXPECT_EQ(login.email, "admin@example.com");
  EXPECT_EQ(login.password, "p");
  EXPECT_EQ(refusal([] { read_login_body(json{{"email", 1}, {"password", "p"}}); }), "email must be a string");
  EXPECT_EQ(refusal([] { read_sign_up_body(json{{"email", "a@b"}, {"password", "p"}}); }), "name must be a string");
  EXPECT_EQ(refusal([] { read_login_body(json::array()); }), "email must be a string");
}

TEST(RequestBodies, ApiKeysBackupsJobsAndMaintenance) {
  EXPECT_EQ(read_api_key_create_body(json{{"permissions", {"all"}}}).permissions->size(), 1u);
  EXPECT_FALSE(read_api_key_update_body(json{{"name", "n"}}).permissions);
  EXPECT_EQ(refusal([] { read_api_key_create_body(json::object()); }), "permissions must be an array");
  EXPECT_EQ(read_backup_delete_body(json{{"backups", {"a.sql"}}}), std::vector<std::string>{"a.sql"});
  EXPECT_EQ(refusal([] { read_backup_delete_body(json{{"backups", {1}}}); }), "Invalid backup name!");
  EXPECT_EQ(refusal([] { read_string_field_body(json{{"command", nullptr}}, "command"); }), "command must be a string");
  auto restore = read_maintenance_action_body(json{{"action", "restore_database"}});
  EXPECT_EQ(restore.problems, (std::vector<std::string>{"restoreBackupFilename must be a string",
                                                         "restoreBackupFilename should not be empty"}));
  EXPECT_EQ(read_maintenance_action_body(json::array()).problems.size(), 1u);
  EXPECT_EQ(read_maintenance_login_body(json{{"token", "t"}}), "t");
  EXPECT_FALSE(read_maintenance_login_body(json::array()));
}

TEST(RequestBodies, SmartSearchFilters) {
  auto body = read_smart_search_body(json{{"query", "cat"}, {"page", 2}, {"size", 10}, {"make", nullptr},
                                          {"albumIds", {"00000000-0000-0000-0000-000000000001"}}});
  EXPECT_EQ(body.query, "cat");
  EXPECT_EQ(body.options.page, 2);
  EXPECT_EQ(body.options.size, 10);
  ASSERT_TRUE(body.options.make);
  EXPECT_FALSE(body.options.make->value);
  EXPECT_EQ(refusal([] { read_smart_search_body(json{{"size", 1001}}); }), "size must be an integer between 1 and 1000");
  EXPECT_EQ(refusal([] { read_smart_search_body(json{{"page", 18446744073709551615ull}}); }),
            "page must be an integer between 1 and 1000000");
  EXPECT_EQ(refusal([] { read_smart_search_body(json{{"albumIds", {"x"}}}); }), "each value must be a UUID");
  EXPECT_EQ(read_smart_search_body(json{{"embedding", "[1, 2.5]"}}).embedding, (std::vector<float>{1, 2.5}));
}

// An embedding string that is not JSON threw nlohmann's parse_error (a 500), and a number beyond
// float's range was converted with undefined behaviour; both are refusals now.
TEST(RequestBodies, HostileEmbeddingsAreRefused) {
  for (const json& embedding : {json("[1,"), json("not json"), json("\"[1]\""), json::array({1e300}),
                                json::array({-1e39}), json::array({"1"}), json(5)}) {
    SCOPED_TRACE(embedding.dump());
    EXPECT_EQ(refusal([&] { read_smart_search_body(json{{"embedding", embedding}}); }),
              "embedding must be an array of numbers");
  }
}

}  // namespace
}  // namespace keepsake::http
