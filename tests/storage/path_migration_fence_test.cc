// A media-location change beside a running client: a second client inserts uniquely labelled rows
// in a tight loop on its own libpq connection while the real `keepsake storage migrate-paths`
// rewrites 200k paths in batches. Every write it was told succeeded is in the final database,
// the fence refused some, and none was acknowledged while the fence was up.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/process.h"
#include "harness/other_client.h"
#include "harness/paths.h"
#include "storage/storage_fixture.h"

namespace keepsake::storage {
namespace {

using namespace std::chrono_literals;

class PathMigrationFenceTest : public testing::StorageDbTest {};

TEST_F(PathMigrationFenceTest, NoAcknowledgedWriteIsLostDuringAMediaLocationChange) {
  conn_->exec("CREATE TABLE probe (label text NOT NULL)");
  std::string user = add_user();
  conn_->exec(R"(INSERT INTO asset ("ownerId", "originalPath")
                 SELECT $1, '/old/upload/' || g || '.jpg' FROM generate_series(1, 200000) g)",
              {user});
  keepsake::testing::WriterLoop writer(db_config_, "postgres.js", "INSERT INTO probe VALUES ($1)", "w");
  std::this_thread::sleep_for(300ms);
  keepsake::testing::TempDir media, data;
  ProcessOptions options;
  options.argv = {keepsake::testing::keepsake_binary(), "storage", "migrate-paths", "--from", "/old",
                  "--to", "/new", "--batch-size", "2000"};
  options.env = minimal_environment({{"DB_URL", keepsake::testing::database_url(db_name_)},
                                     {"IMMICH_MEDIA_LOCATION", media.path()},
                                     {"KEEPSAKE_DATA_DIR", data.path()}});
  auto result = run_process(options);
  ASSERT_TRUE(result.ok()) << result.err;
  std::this_thread::sleep_for(500ms);
  writer.stop();
  conn_ = db::Connection::open(db_config_);  // the fence ended this session too: it is another process's

  EXPECT_EQ(count(R"(SELECT count(*) FROM asset WHERE "originalPath" LIKE '/new/%')"), 200000);
  auto r = conn_->exec("SELECT label FROM probe");
  std::set<std::string> stored;
  for (int i = 0; i < r.rows(); ++i) stored.insert(r.text(i, 0));
  ASSERT_FALSE(writer.refused_read_only.empty()) << "the fence refused no write";
  int first = writer.refused_read_only.front(), last = writer.refused_read_only.back();
  int before = 0, after = 0;
  for (int n : writer.acknowledged) {
    EXPECT_TRUE(stored.count(writer.label(n))) << "acknowledged write " << n << " was lost";
    EXPECT_FALSE(n > first && n < last) << "write " << n << " was acknowledged while the fence was up";
    before += n < first;
    after += n > last;
  }
  EXPECT_GT(before, 0);
  EXPECT_GT(after, 0);
  std::cout << "acknowledged " << writer.acknowledged.size() << " (" << before << " before the fence, " << after
            << " after), refused by the fence " << writer.refused_read_only.size() << ", other errors "
            << writer.failed.size() << "\n";
}

}  // namespace
}  // namespace keepsake::storage
