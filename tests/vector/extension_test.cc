#include "vector/extension.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "harness/test_cluster.h"
#include "vector/index_manager.h"

namespace keepsake::vector {
namespace {

using keepsake::testing::DatabaseTest;

ExtensionVersions v(std::optional<std::string> available, std::optional<std::string> installed) {
  return {"x", std::move(available), std::move(installed)};
}

std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.full_message();
  }
  return "";
}

TEST(VectorExtensionNames, MatchImmich) {
  EXPECT_EQ(extension_display_name(Extension::kVchord), "VectorChord");
  EXPECT_EQ(extension_display_name(Extension::kVectors), "pgvecto.rs");
  EXPECT_EQ(extension_display_name(Extension::kVector), "pgvector");
  EXPECT_EQ(extension_version_range(Extension::kVchord), ">=0.3 <2");
  EXPECT_EQ(extension_version_range(Extension::kVectors), ">=0.2 <0.4");
  EXPECT_EQ(extension_version_range(Extension::kVector), ">=0.5 <1");
  ASSERT_EQ(vector_extension_preference().size(), 3u);
  EXPECT_EQ(vector_extension_preference()[0], Extension::kVchord);
  EXPECT_EQ(vector_extension_preference()[2], Extension::kVector);
}

TEST(VectorExtensionRanges, BoundsAreInclusiveExclusive) {
  EXPECT_TRUE(version_in_range(Extension::kVchord, parse_semver("0.3.0")));
  EXPECT_TRUE(version_in_range(Extension::kVchord, parse_semver("1.9.9")));
  EXPECT_FALSE(version_in_range(Extension::kVchord, parse_semver("2.0.0")));
  EXPECT_FALSE(version_in_range(Extension::kVchord, parse_semver("0.2.9")));
  EXPECT_TRUE(version_in_range(Extension::kVectors, parse_semver("0.3.0")));
  EXPECT_FALSE(version_in_range(Extension::kVectors, parse_semver("0.4.0")));
  EXPECT_TRUE(version_in_range(Extension::kVector, parse_semver("0.8.0")));
  EXPECT_FALSE(version_in_range(Extension::kVector, parse_semver("0.4.4")));
  EXPECT_FALSE(version_in_range(Extension::kVector, parse_semver("1.0.0")));
}

TEST(VectorExtensionPlan, FollowsTheBootstrapOrder) {
  const auto ext = Extension::kVector;
  EXPECT_EQ(plan_extension_action(ext, v("0.8.0", std::nullopt)), ExtensionAction::kCreate);
  EXPECT_EQ(plan_extension_action(ext, v("0.8.0", "0.7.0")), ExtensionAction::kUpdate);
  EXPECT_EQ(plan_extension_action(ext, v("0.8.0", "0.8.0")), ExtensionAction::kNone);
  // Available newer than an out-of-range installed version: update wins, as in Immich.
  EXPECT_EQ(plan_extension_action(ext, v("0.8.0", "0.4.0")), ExtensionAction::kUpdate);
}

TEST(VectorExtensionPlan, ErrorsCarryMeaningAndTheSqlToRun) {
  const auto ext = Extension::kVchord;
  EXPECT_NE(error_text([&] { plan_extension_action(ext, v(std::nullopt, std::nullopt)); })
                .find("The VectorChord extension is not available in this Postgres instance."),
            std::string::npos);
  auto nightly = error_text([&] { plan_extension_action(ext, v("0.4.3", "0.0.0")); });
  EXPECT_NE(nightly.find("The VectorChord extension version is 0.0.0, which means it is a nightly "
                         "release."),
            std::string::npos);
  EXPECT_NE(nightly.find("DROP EXTENSION IF EXISTS vchord"), std::string::npos);
  auto range = error_text([&] { plan_extension_action(ext, v("2.1.0", std::nullopt)); });
  EXPECT_NE(range.find("The VectorChord extension version is 2.1.0, but Immich only supports "
                       ">=0.3 <2."),
            std::string::npos);
  EXPECT_NE(range.find("ALTER EXTENSION vchord UPDATE"), std::string::npos);
  auto down = error_text([&] { plan_extension_action(ext, v("0.3.0", "0.4.3")); });
  EXPECT_NE(down.find("currently has VectorChord 0.4.3 activated, but the Postgres instance only "
                      "has 0.3.0 available"),
            std::string::npos);
  auto installed_range =
      error_text([&] { plan_extension_action(Extension::kVectors, v("0.2.0", "0.2.0")); });
  EXPECT_EQ(installed_range, "");
}

TEST(VectorExtensionPrerequisites, NamesThePreloadLineAndSuperuserStatements) {
  ExtensionPermissions p;
  p.preload_libraries = "pg_stat_statements";
  auto f = check_extension_prerequisites(Extension::kVchord, ExtensionAction::kCreate, p, "immich");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].message.find("shared_preload_libraries = 'pg_stat_statements, vchord'"),
            std::string::npos);
  EXPECT_NE(f[1].message.find("CREATE EXTENSION IF NOT EXISTS vchord CASCADE; ALTER DATABASE "
                              "\"immich\" SET vchordrq.probes = 1;"),
            std::string::npos);
  p.superuser = true;
  p.preload_libraries = "vchord.so, pg_stat_statements";
  EXPECT_TRUE(
      check_extension_prerequisites(Extension::kVchord, ExtensionAction::kCreate, p, "immich")
          .empty());
  p.preload_libraries = "";
  auto vectors =
      check_extension_prerequisites(Extension::kVectors, ExtensionAction::kCreate, p, "immich");
  ASSERT_EQ(vectors.size(), 1u);
  EXPECT_NE(vectors[0].message.find("shared_preload_libraries = 'vectors'"), std::string::npos);
  EXPECT_TRUE(
      check_extension_prerequisites(Extension::kVector, ExtensionAction::kCreate, p, "immich")
          .empty());
}

class VectorExtensionDbTest : public DatabaseTest {};

TEST_F(VectorExtensionDbTest, AutoDetectsPgvectorAndHonoursTheVariable) {
  Config config;
  EXPECT_EQ(select_vector_extension(*conn_, config), Extension::kVector);
  config.vector_extension = "builtin";
  EXPECT_EQ(select_vector_extension(*conn_, config), Extension::kBuiltin);
  config.vector_extension = "vchord";
  EXPECT_EQ(select_vector_extension(*conn_, config), Extension::kVchord);
  // vchord is not available here: the lifecycle says so and changes nothing.
  EXPECT_NE(error_text([&] { ensure_vector_extension(*conn_, Extension::kVchord); })
                .find("not available in this Postgres instance"),
            std::string::npos);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").int64(0, 0), 0);
}

TEST_F(VectorExtensionDbTest, CreatesPgvectorOnceAndDropsItWhenBuiltinIsChosen) {
  auto r = ensure_vector_extension(*conn_, Extension::kVector);
  EXPECT_EQ(r.action, ExtensionAction::kCreate);
  EXPECT_EQ(ensure_vector_extension(*conn_, Extension::kVector).action, ExtensionAction::kNone);
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").int64(0, 0), 1);
  ExtensionSetupResult builtin;
  builtin.extension = Extension::kBuiltin;
  drop_unused_vector_extensions(*conn_, builtin);
  ASSERT_EQ(builtin.dropped, std::vector<std::string>{"vector"});
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").int64(0, 0), 0);
}

TEST_F(VectorExtensionDbTest, KeepsVectorUnderVchordAndWarnsWhenDropFails) {
  conn_->exec("CREATE EXTENSION vector");
  ExtensionSetupResult vchord;
  vchord.extension = Extension::kVchord;
  drop_unused_vector_extensions(*conn_, vchord);
  EXPECT_TRUE(vchord.dropped.empty());
  conn_->exec("CREATE TABLE uses_vector (e vector(3))");
  ExtensionSetupResult builtin;
  builtin.extension = Extension::kBuiltin;
  drop_unused_vector_extensions(*conn_, builtin);
  EXPECT_TRUE(builtin.dropped.empty());
  ASSERT_EQ(builtin.warnings.size(), 1u);
  EXPECT_NE(builtin.warnings[0].find("DROP EXTENSION IF EXISTS vector;"), std::string::npos);
}

TEST_F(VectorExtensionDbTest, UnprivilegedRoleGetsTheSuperuserStatementsAndNothingChanges) {
  const std::string role = db_name_ + "_plain";
  conn_->exec("DROP ROLE IF EXISTS " + db::quote_ident(role));
  conn_->exec("CREATE ROLE " + db::quote_ident(role) + " LOGIN");
  conn_->exec("GRANT CREATE ON DATABASE " + db::quote_ident(db_name_) + " TO " +
              db::quote_ident(role));
  auto cfg = db_config_;
  cfg.user = role;
  {
    auto plain = db::Connection::open(cfg);
    auto perms = read_extension_permissions(*plain, Extension::kVector);
    EXPECT_FALSE(perms.superuser);
    EXPECT_FALSE(perms.trusted);
    try {
      ensure_vector_extension(*plain, Extension::kVector);
      FAIL() << "expected a permission error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
      EXPECT_NE(std::string(e.what()).find("CREATE EXTENSION IF NOT EXISTS vector CASCADE;"),
                std::string::npos);
    }
  }
  EXPECT_EQ(conn_->exec("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").int64(0, 0), 0);
  conn_->exec("REVOKE ALL ON DATABASE " + db::quote_ident(db_name_) + " FROM " +
              db::quote_ident(role));
  conn_->exec("DROP ROLE " + db::quote_ident(role));
}

}  // namespace
}  // namespace keepsake::vector
