#include "config/config.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace keepsake {
namespace {

std::string error_of(const Environment& env) {
  try {
    load_config(env);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    return e.what();
  }
  return "";
}

TEST(ConfigTest, DefaultsFollowImmich) {
  Config c = load_config({{"DB_HOSTNAME", "db.example"}});
  EXPECT_FALSE(c.db.embedded);
  EXPECT_EQ(c.db.host, "db.example");
  EXPECT_EQ(c.db.port, "5432");
  EXPECT_EQ(c.db.user, "postgres");
  EXPECT_EQ(c.db.password, "postgres");
  EXPECT_EQ(c.db.dbname, "immich");
  EXPECT_EQ(c.port, 2283);
  EXPECT_EQ(c.env, "production");
  EXPECT_FALSE(c.skip_migrations);
}

TEST(ConfigTest, NoDatabaseConfiguredMeansEmbedded) {
  EXPECT_TRUE(load_config({}).db.embedded);
  EXPECT_FALSE(load_config({{"DB_URL", "postgresql://u:p@h/d"}}).db.embedded);
}

TEST(ConfigTest, ParsesDbUrlWithSslmodeAndDropsUselibpqcompat) {
  Config c = load_config(
      {{"DB_URL", "postgresql://alice:s3cret@db:6543/photos?sslmode=require&uselibpqcompat=true"}});
  EXPECT_EQ(c.db.host, "db");
  EXPECT_EQ(c.db.port, "6543");
  EXPECT_EQ(c.db.user, "alice");
  EXPECT_EQ(c.db.password, "s3cret");
  EXPECT_EQ(c.db.dbname, "photos");
  EXPECT_EQ(c.db.sslmode, "require");
}

TEST(ConfigTest, ParsesUnixSocketForms) {
  auto a = parse_database_url("postgresql://user@localhost/db?host=/socket/dir&port=5433");
  EXPECT_EQ(a.host, "/socket/dir");
  EXPECT_EQ(a.port, "5433");
  auto b = parse_database_url("postgresql://user@%2Fsocket%2Fdir:5432/db");
  EXPECT_EQ(b.host, "/socket/dir");
  EXPECT_EQ(b.dbname, "db");
}

// Found by the db_url fuzz target (its input kept as fuzz/corpus/db_url/crash-mistyped-scheme):
// a DB_URL refused for its scheme printed its password.
TEST(ConfigTest, RejectsAMistypedSchemeWithoutPrintingPassword) {
  for (const char* url : {"pos://user:secretpw@host:5432/immich", "Postgresql://u:secret pw@h/d", "pos;://u:secretpw@h"}) {
    std::string msg = error_of({{"DB_URL", url}});
    EXPECT_NE(msg.find("must start with postgresql://"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("secret"), std::string::npos) << msg;
  }
  // fuzz/corpus/db_url/crash-libpq-quotes-password and crash-libpq-reads-to-the-first-at: libpq's
  // own message quoted the password. Keepsake's own URL reader names the part, never its text.
  // crash-percent-encoded-token: the password was a piece of libpq's message text.
  for (const char* url : {"postgresql://u:p%ostgresqlsecret@host/db", "postgresql://u:p%secret@x@h",
                          "postgresql://u:percent-encoded tokesecret%@h/d"}) {
    std::string msg = error_of({{"DB_URL", url}});
    EXPECT_NE(msg.find("its password has a '%' that is not followed by two hexadecimal digits"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("secret"), std::string::npos) << msg;
  }
}

// The user information ends at the last '@' of the authority, as Immich's pg-connection-string
// reads it (libpq would end it at the first and take the rest of the password for a host).
// fuzz/corpus/db_url/crash-at-in-user was refused before.
TEST(ConfigTest, AnUnencodedAtInThePasswordStaysInThePassword) {
  DatabaseConfig a = parse_database_url("postgresql://immich:p@ss@word@db:5433/photos");
  EXPECT_EQ(a.user, "immich");
  EXPECT_EQ(a.password, "p@ss@word");
  EXPECT_EQ(a.host, "db");
  EXPECT_EQ(a.port, "5433");
  DatabaseConfig b = parse_database_url("postgresql://@u:gsecrets@host/db");
  EXPECT_EQ(b.user, "@u");
  EXPECT_EQ(b.password, "gsecrets");
  EXPECT_EQ(b.host, "host");
}

// The fuzz target once flagged a password whose text the displayed URL holds by coincidence
// (user "toes" on localhost: "toes@localhost" holds "oes@localh"); the display never depends on
// the password. fuzz/corpus/db_url/crash-password-text-in-user-and-host.
TEST(ConfigTest, TheDisplayedUrlNeverDependsOnThePassword) {
  DatabaseConfig a = parse_database_url("postgresql://toes:oes@localh@");
  EXPECT_EQ(a.password, "oes@localh");
  EXPECT_EQ(a.display_url(), "postgresql://toes@localhost:5432/immich");
  DatabaseConfig b = a;
  b.password = "another";
  EXPECT_EQ(b.display_url(), a.display_url());
}

TEST(ConfigTest, AnUnknownQueryParameterIsRefusedWithoutQuotingIt) {
  // An unencoded '?' ends the authority: the rest of this password lands in the query.
  std::string msg = error_of({{"DB_URL", "postgresql://u:12?topsecret@h/d"}});
  EXPECT_NE(msg.find("its query parameter #1 has no '='"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("topsecret"), std::string::npos) << msg;
  msg = error_of({{"DB_URL", "postgresql://u@h/d?sslmod=require"}});
  EXPECT_NE(msg.find("its query parameter #1 is not a PostgreSQL connection setting"), std::string::npos) << msg;
  // libpq's own settings are accepted.
  EXPECT_EQ(parse_database_url("postgresql://u@h/d?application_name=x&connect_timeout=3").host, "h");
}

TEST(ConfigTest, RejectsUnknownSslmodeWithoutPrintingPassword) {
  std::string msg = error_of({{"DB_URL", "postgresql://u:hunter2@h/d?sslmode=sometimes"}});
  EXPECT_NE(msg.find("DB_URL"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sslmode"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
  EXPECT_NE(error_of({{"DB_HOSTNAME", "h"}, {"DB_SSL_MODE", "maybe"}}).find("DB_SSL_MODE=maybe"),
            std::string::npos);
}

TEST(ConfigTest, RejectsNonNumericPort) {
  EXPECT_EQ(error_of({{"DB_HOSTNAME", "h"}, {"DB_PORT", "54x"}}),
            "Invalid environment variable DB_PORT=54x (must be an integer between 1 and 65535)");
  EXPECT_NE(error_of({{"IMMICH_PORT", "70000"}}).find("IMMICH_PORT=70000"), std::string::npos);
}

TEST(ConfigTest, BooleansAreStrictlyTrueOrFalse) {
  EXPECT_EQ(error_of({{"DB_SKIP_MIGRATIONS", "maybe"}}),
            "Invalid environment variable DB_SKIP_MIGRATIONS=maybe (must be true or false)");
  EXPECT_NE(error_of({{"DB_SKIP_MIGRATIONS", "1"}}), "");
  EXPECT_NE(error_of({{"DB_SKIP_MIGRATIONS", ""}}), "");
  EXPECT_TRUE(load_config({{"DB_SKIP_MIGRATIONS", "true"}}).skip_migrations);
  EXPECT_FALSE(load_config({{"DB_SKIP_MIGRATIONS", "false"}}).skip_migrations);
}

TEST(ConfigTest, VectorExtensionNames) {
  EXPECT_EQ(load_config({{"DB_VECTOR_EXTENSION", "pgvector"}}).vector_extension, "vector");
  EXPECT_EQ(load_config({{"DB_VECTOR_EXTENSION", "pgvecto.rs"}}).vector_extension, "vectors");
  EXPECT_EQ(load_config({{"DB_VECTOR_EXTENSION", "vectorchord"}}).vector_extension, "vchord");
  EXPECT_NE(error_of({{"DB_VECTOR_EXTENSION", "faiss"}}), "");
}

TEST(ConfigTest, MediaLocationMustBeAbsolute) {
  EXPECT_NE(error_of({{"IMMICH_MEDIA_LOCATION", "relative/path"}})
                .find("IMMICH_MEDIA_LOCATION must be an absolute path"),
            std::string::npos);
  EXPECT_EQ(load_config({{"IMMICH_MEDIA_LOCATION", "/srv/photos"}}).media_location, "/srv/photos");
}

TEST(ConfigTest, DisplayUrlNeverHoldsThePassword) {
  Config c = load_config({{"DB_URL", "postgresql://u:topsecret@h:5432/d"}});
  EXPECT_EQ(c.db.display_url(), "postgresql://u@h:5432/d");
}

TEST(ConfigTest, UploadLimitIsAWholeNumberOfMebibytes) {
  EXPECT_EQ(load_config({}).upload_limit_mb, 65536u);
  EXPECT_EQ(load_config({{"KEEPSAKE_UPLOAD_LIMIT_MB", "512"}}).upload_limit_mb, 512u);
  for (const char* bad : {"0", "-1", "1.5", "1G", "9999999999"}) {
    EXPECT_NE(error_of({{"KEEPSAKE_UPLOAD_LIMIT_MB", bad}}).find("KEEPSAKE_UPLOAD_LIMIT_MB"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace keepsake

namespace keepsake {
namespace {

TEST(ConfigTest, RestoreKeepDaysIsAWholeNumber) {
  EXPECT_EQ(load_config({}).restore_keep_days, 7);
  EXPECT_EQ(load_config({{"KEEPSAKE_RESTORE_KEEP_DAYS", "0"}}).restore_keep_days, 0);
  EXPECT_EQ(load_config({{"KEEPSAKE_RESTORE_KEEP_DAYS", "30"}}).restore_keep_days, 30);
  for (const char* bad : {"-1", "7d", "1e3", "999999"}) {
    EXPECT_NE(error_of({{"KEEPSAKE_RESTORE_KEEP_DAYS", bad}}).find("KEEPSAKE_RESTORE_KEEP_DAYS"), std::string::npos)
        << bad;
  }
}

}  // namespace
}  // namespace keepsake
