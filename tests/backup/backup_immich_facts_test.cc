// What a backup says about itself, as Immich reads it: the version in its name is the Immich
// release the database's migrations correspond to (not Keepsake's target), and the file and its
// sidecar are 0644 whatever the umask, so that an Immich running as another user can read them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "backup/backup_service.h"
#include "harness/bootstrapped_database.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;

class BackupImmichFactsTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  // Makes a backup, returns its name, and removes it (two backups in one second share a name).
  std::string backup_name() {
    BackupOptions o;
    o.db = db_config_;
    o.media_location = media_.path();
    auto r = create_backup(o);
    fs::remove(r.path);
    fs::remove(r.path + ".sha256");
    return r.filename;
  }
  keepsake::testing::TempDir media_;
};

TEST_F(BackupImmichFactsTest, NameCarriesTheReleaseOfTheDatabasesMigrations) {
  EXPECT_NE(backup_name().find("-v2.7.5-pg"), std::string::npos);  // exactly v2.7.5's 68

  // A newer Immich migrated this database: its version is not known.
  conn_->exec("INSERT INTO kysely_migrations VALUES ('1776848612954-MigrateAlbumOwnerIdToAlbumUser', 'x')");
  EXPECT_NE(backup_name().find("-vunknown-pg"), std::string::npos);

  // An older one (the last migration not applied yet): not v2.7.5 either.
  conn_->exec("DELETE FROM kysely_migrations WHERE name LIKE '1776848612954-%' OR name LIKE '1775165531374-%'");
  EXPECT_NE(backup_name().find("-vunknown-pg"), std::string::npos);

  conn_->exec("DROP TABLE kysely_migrations");  // no Immich schema at all
  EXPECT_NE(backup_name().find("-vunknown-pg"), std::string::npos);
}

TEST_F(BackupImmichFactsTest, BackupAndSidecarAre0644EvenUnderAStrictUmask) {
  mode_t previous = umask(077);
  BackupOptions o;
  o.db = db_config_;
  o.media_location = media_.path();
  auto r = create_backup(o);
  umask(previous);
  for (const auto& path : {r.path, r.path + ".sha256"}) {
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 07777, 0644u) << path;
  }
}

}  // namespace
}  // namespace keepsake::backup
