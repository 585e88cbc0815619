#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "app/app_context.h"
#include "db/pool.h"
#include "http/routes.h"
#include "http/server.h"
#include "vector/vector_fixture.h"
#include "vector/vector_service.h"

namespace keepsake::vector {
namespace {

using testing::VectorFixture;

class VectorRoutesTest : public VectorFixture {
 protected:
  void SetUp() override {
    VectorFixture::SetUp();
    conn_->exec_script(R"sql(
      ALTER TABLE asset ADD COLUMN "deviceAssetId" varchar NOT NULL DEFAULT 'd',
        ADD COLUMN "deviceId" varchar NOT NULL DEFAULT 'dev', ADD COLUMN "libraryId" uuid,
        ADD COLUMN "originalPath" varchar NOT NULL DEFAULT '/p', ADD COLUMN "originalFileName"
        varchar NOT NULL DEFAULT 'p.jpg', ADD COLUMN thumbhash bytea, ADD COLUMN "fileModifiedAt"
        timestamptz NOT NULL DEFAULT now(), ADD COLUMN "localDateTime" timestamptz NOT NULL
        DEFAULT now(), ADD COLUMN "updatedAt" timestamptz NOT NULL DEFAULT now(), ADD COLUMN
        "isOffline" boolean NOT NULL DEFAULT false, ADD COLUMN duration varchar, ADD COLUMN
        "livePhotoVideoId" uuid, ADD COLUMN checksum bytea NOT NULL DEFAULT '\x01', ADD COLUMN
        width integer, ADD COLUMN height integer, ADD COLUMN "isEdited" boolean NOT NULL DEFAULT false;
      CREATE TABLE system_metadata (key varchar PRIMARY KEY, value jsonb NOT NULL);
      CREATE TABLE partner ("sharedById" uuid NOT NULL, "sharedWithId" uuid NOT NULL,
        "inTimeline" boolean NOT NULL DEFAULT false);
    )sql");
    pool_ = std::make_unique<db::Pool>(db_config_, 4);
  }
  http::Authenticator as_owner(int i) {
    std::string id = owner(i);
    return [id](const auth::Credentials&) {
      auth::AuthUser u;
      u.id = id;
      u.is_admin = true;
      u.permissions = {"all"};
      return u;
    };
  }
  httplib::Result post(httplib::Client& client, const nlohmann::json& body) {
    return client.Post("/api/search/smart", {{"x-api-key", "k"}}, body.dump(), "application/json");
  }
  std::unique_ptr<db::Pool> pool_;
};

TEST_P(VectorRoutesTest, SmartSearchAnswersWhileTheIndexBuildsAndAfter) {
  auto mine = seed_assets(owner(0), 30, 32);
  seed_assets(owner(1), 30, 32);
  Config config;
  keepsake::testing::TempDir dir;
  config.data_dir = dir.path();
  auto database = db_config_;
  database.dbname = db_name_;
  VectorService service(config, database, ext());
  set_active_vector_service(&service);
  // Block the background build / reindex check deterministically: an exclusive table lock.
  auto blocker = db::Connection::open(db_config_);
  db::Transaction hold(*blocker);
  hold.exec("LOCK TABLE smart_search IN ACCESS EXCLUSIVE MODE");
  service.start();
  http::RouteDeps deps{.pool = pool_.get()};
  http::Server server({.host = "127.0.0.1", .port = 0}, deps, as_owner(0));
  server.switch_to(http::kNormalRoutes);
  httplib::Client client("127.0.0.1", server.bind());
  std::thread serving([&] { server.run(); });
  auto ping = client.Get("/api/server/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  auto status = client.Get("/api/admin/vector/status", {{"x-api-key", "k"}});
  ASSERT_TRUE(status);
  if (ext() == Extension::kBuiltin) {
    EXPECT_NE(nlohmann::json::parse(status->body)["state"], "ready");
  }
  hold.rollback();
  service.wait_ready();
  EXPECT_EQ(service.status()["state"], "ready");
  if (ext() == Extension::kBuiltin) {
    auto clip = nlohmann::json::parse(client.Get("/api/admin/vector/status", {{"x-api-key", "k"}})->body)["indexes"]["clip_index"];
    EXPECT_EQ(clip["vectors"], 60) << clip.dump();
    EXPECT_GT(clip["memoryBytes"].get<int64_t>(), 60 * 32 * 2) << clip.dump();
    EXPECT_EQ(clip["table"], "smart_search");
    EXPECT_EQ(clip["pendingChanges"], 0) << clip.dump();
    EXPECT_EQ(clip["fresh"], true);
    EXPECT_TRUE(clip["syncedAt"].is_string()) << clip.dump();
  }

  auto res = post(client, {{"queryAssetId", mine[4]}, {"size", 5}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto body = nlohmann::json::parse(res->body);
  ASSERT_EQ(body["assets"]["count"], 5);
  EXPECT_EQ(body["assets"]["items"][0]["id"], mine[4]);
  EXPECT_EQ(body["assets"]["nextPage"], "2");
  for (const auto& item : body["assets"]["items"]) EXPECT_EQ(item["ownerId"], owner(0));

  auto text = post(client, {{"query", "a dog"}});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 400);
  EXPECT_NE(text->body.find("IMMICH_MACHINE_LEARNING_URL"), std::string::npos);
  auto neither = post(client, {{"size", 5}});
  EXPECT_EQ(neither->status, 400);
  EXPECT_NE(neither->body.find("Either `query` or `queryAssetId` must be set"), std::string::npos);
  auto bad_size = post(client, {{"queryAssetId", mine[0]}, {"size", 0}});
  EXPECT_EQ(bad_size->status, 400);
  std::vector<float> emb(32, 0.5f);
  auto by_embedding = post(client, {{"embedding", emb}, {"size", 100}});
  ASSERT_EQ(by_embedding->status, 200);
  EXPECT_EQ(nlohmann::json::parse(by_embedding->body)["assets"]["count"], 30);
  set_active_vector_service(nullptr);
  service.stop();
  server.stop();
  serving.join();
}

TEST_P(VectorRoutesTest, TextQueriesGoToTheMachineLearningServer) {
  auto mine = seed_assets(owner(0), 10, 32);
  auto target = VectorSearch::asset_embedding(*conn_, mine[7]);
  httplib::Server ml;
  std::string seen_entries, seen_text;
  ml.Post("/predict", [&](const httplib::Request& req, httplib::Response& res) {
    seen_entries = req.get_file_value("entries").content;
    seen_text = req.get_file_value("text").content;
    res.set_content(nlohmann::json{{"clip", vector_literal(*target)}}.dump(), "application/json");
  });
  int ml_port = ml.bind_to_any_port("127.0.0.1");
  std::thread ml_thread([&] { ml.listen_after_bind(); });
  Config config;
  config.machine_learning_url = "http://127.0.0.1:" + std::to_string(ml_port);
  app::AppContext app(config);
  http::RouteDeps deps{.app = &app, .pool = pool_.get()};
  http::Server server({.host = "127.0.0.1", .port = 0}, deps, as_owner(0));
  server.switch_to(http::kNormalRoutes);
  httplib::Client client("127.0.0.1", server.bind());
  std::thread serving([&] { server.run(); });
  auto res = post(client, {{"query", "a red bicycle"}, {"size", 1}});
  server.stop();
  serving.join();
  ml.stop();
  ml_thread.join();
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body)["assets"]["items"][0]["id"], mine[7]);
  EXPECT_EQ(seen_text, "a red bicycle");
  EXPECT_EQ(nlohmann::json::parse(seen_entries)["clip"]["textual"]["modelName"], "ViT-B-32__openai");
}

INSTANTIATE_TEST_SUITE_P(Modes, VectorRoutesTest,
                         ::testing::Values(Extension::kVector, Extension::kBuiltin),
                         testing::param_name);

}  // namespace
}  // namespace keepsake::vector
