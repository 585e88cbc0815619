// Immich's REDIS_* variables (spec §12.1 and §4): defaults, precedence (REDIS_URL's ioredis form
// replaces the others; REDIS_SOCKET wins over host and port), the password file, and errors that
// name the variable without showing the password.
#include "config/redis_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "auth/crypto.h"
#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake {
namespace {

std::string ioredis_url(const std::string& json) { return "ioredis://" + auth::base64(json); }

std::string error_of(const std::map<std::string, std::string>& env) {
  try {
    load_redis_config(env);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    return e.what();
  }
  return "";
}

TEST(RedisConfigTest, NoVariableMeansNoChannel) {
  EXPECT_FALSE(load_redis_config({}));
  EXPECT_FALSE(load_redis_config({{"REDIS_HOSTNAME", ""}, {"DB_URL", "postgresql://u@h/d"}}));
}

TEST(RedisConfigTest, AnyVariableReadsAllWithImmichsDefaults) {
  auto c = load_redis_config({{"REDIS_PASSWORD", "pw"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "redis");
  EXPECT_EQ(c->port, 6379);
  EXPECT_EQ(c->db_index, 0);
  EXPECT_EQ(c->username, "");
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->socket, "");
  EXPECT_EQ(c->display(), "redis://redis:6379/0");

  c = load_redis_config({{"REDIS_HOSTNAME", "cache"}, {"REDIS_PORT", "6380"}, {"REDIS_DBINDEX", "3"},
                         {"REDIS_USERNAME", "immich"}, {"REDIS_PASSWORD", "s3cret"}});
  EXPECT_EQ(c->display(), "redis://immich@cache:6380/3");
  EXPECT_EQ(c->password, "s3cret");
}

TEST(RedisConfigTest, SocketWinsOverHostAndPort) {
  auto c = load_redis_config({{"REDIS_HOSTNAME", "cache"}, {"REDIS_SOCKET", "/run/redis.sock"}});
  EXPECT_EQ(c->socket, "/run/redis.sock");
  EXPECT_EQ(c->display(), "unix:/run/redis.sock (db 0)");
}

TEST(RedisConfigTest, IoredisUrlReplacesEveryOtherVariable) {
  auto c = load_redis_config(
      {{"REDIS_URL", ioredis_url(R"({"host":"sentinel-free","port":6390,"db":2,"username":"u","password":"pw"})")},
       {"REDIS_HOSTNAME", "ignored"}, {"REDIS_SOCKET", "/ignored.sock"}, {"REDIS_PASSWORD", "ignored"}});
  EXPECT_EQ(c->host, "sentinel-free");
  EXPECT_EQ(c->port, 6390);
  EXPECT_EQ(c->db_index, 2);
  EXPECT_EQ(c->username, "u");
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->socket, "");

  c = load_redis_config({{"REDIS_URL", ioredis_url(R"({"path":"/tmp/r.sock"})")}});
  EXPECT_EQ(c->socket, "/tmp/r.sock");
  EXPECT_EQ(load_redis_config({{"REDIS_URL", ioredis_url("{}")}})->display(), "redis://localhost:6379/0");
}

TEST(RedisConfigTest, IoredisUrlIsDecodedAsLenientlyAsNode) {
  std::string standard = auth::base64(R"({"host":"h??"})");  // eyJob3N0IjoiaD8/In0=
  ASSERT_NE(standard.find('/'), std::string::npos);
  std::string url_safe = standard;
  for (char& ch : url_safe) ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;
  while (url_safe.back() == '=') url_safe.pop_back();
  EXPECT_EQ(load_redis_config({{"REDIS_URL", "ioredis://" + url_safe}})->host, "h??");
}

TEST(RedisConfigTest, OtherUrlFormsAreIgnoredAsByImmich) {
  auto c = load_redis_config({{"REDIS_URL", "redis://elsewhere:1234"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "redis");
  EXPECT_EQ(c->port, 6379);
}

TEST(RedisConfigTest, UndecodableUrlIsAnErrorNamingTheVariableWithoutThePassword) {
  EXPECT_NE(error_of({{"REDIS_URL", "ioredis://%%%"}}).find("REDIS_URL"), std::string::npos);
  EXPECT_NE(error_of({{"REDIS_URL", ioredis_url("[1,2]")}}).find("Failed to decode redis options"), std::string::npos);
  std::string bad_port = error_of({{"REDIS_URL", ioredis_url(R"({"password":"hunter2","port":99999})")}});
  EXPECT_NE(bad_port.find("REDIS_URL"), std::string::npos);
  EXPECT_EQ(bad_port.find("hunter2"), std::string::npos) << bad_port;
  EXPECT_EQ(bad_port.find(auth::base64(R"({"password":"hunter2","port":99999})")), std::string::npos);
  EXPECT_NE(error_of({{"REDIS_URL", ioredis_url(R"({"tls":{}})")}}).find("\"tls\""), std::string::npos);
}

TEST(RedisConfigTest, BadNumbersNameTheirVariable) {
  EXPECT_NE(error_of({{"REDIS_PORT", "http"}}).find("REDIS_PORT=http"), std::string::npos);
  EXPECT_NE(error_of({{"REDIS_PORT", "70000"}}).find("REDIS_PORT"), std::string::npos);
  EXPECT_NE(error_of({{"REDIS_DBINDEX", "-1"}}).find("REDIS_DBINDEX"), std::string::npos);
}

TEST(RedisConfigTest, PasswordFileReplacesThePasswordLikeStartSh) {
  keepsake::testing::TempDir dir;
  std::ofstream(dir.path() + "/pw") << "from-file\n";
  auto c = load_redis_config({{"REDIS_PASSWORD", "plain"}, {"REDIS_PASSWORD_FILE", dir.path() + "/pw"}});
  EXPECT_EQ(c->password, "from-file");

  std::ofstream(dir.path() + "/REDIS_PASSWORD") << "credential";
  c = load_redis_config({{"CREDENTIALS_DIRECTORY", dir.path()}});
  ASSERT_TRUE(c) << "a systemd credential sets REDIS_PASSWORD, so the channel is configured";
  EXPECT_EQ(c->password, "credential");
  EXPECT_FALSE(load_redis_config({{"CREDENTIALS_DIRECTORY", dir.path() + "/none"}}));

  std::string missing = error_of({{"REDIS_PASSWORD_FILE", dir.path() + "/missing"}});
  EXPECT_NE(missing.find("REDIS_PASSWORD_FILE"), std::string::npos) << missing;
}

}  // namespace
}  // namespace keepsake
