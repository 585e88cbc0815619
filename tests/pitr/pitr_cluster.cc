#include "pitr/pitr_cluster.h"

#include <filesystem>

#include "harness/keepsake_process.h"
#include "migrations/boot.h"

namespace keepsake::testing {
namespace fs = std::filesystem;

db::EmbeddedOptions PitrTest::cluster_options() {
  db::EmbeddedOptions o;
  o.cluster_dir = dir_.path() + "/pg";
  o.port = free_port();
  o.listen_tcp = true;
  o.database = "immich";
  o.throwaway = true;
  return o;
}

void PitrTest::SetUp() {
  archive_ = dir_.path() + "/archive";
  auto o = cluster_options();
  port_ = o.port;
  pg_ = std::make_unique<db::EmbeddedPostgres>(o);
  pg_->start();
  db_ = pg_->connection_config();
  conn_ = db::Connection::open(db_);
  conn_->exec_script(
      "CREATE TABLE kysely_migrations (name varchar PRIMARY KEY, timestamp varchar NOT NULL);"
      "INSERT INTO kysely_migrations VALUES ('1744910873969-Initial', '2025-04-17');"
      "CREATE TABLE items (id serial PRIMARY KEY, label text NOT NULL);");
}

void PitrTest::TearDown() {
  conn_.reset();
  if (pg_) pg_->stop();
}

int64_t PitrTest::commit_item(const std::string& label) {
  conn_->exec("INSERT INTO items (label) VALUES ($1)", {label});
  return conn_->exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").int64(0, 0);
}

std::vector<std::string> PitrTest::items_in(const std::string& recovered_data_dir) {
  db::EmbeddedOptions o;
  o.cluster_dir = fs::path(recovered_data_dir).parent_path().string();
  o.port = free_port();
  o.database = "immich";
  db::EmbeddedPostgres recovered(o);
  recovered.start();
  std::vector<std::string> labels;
  {
    auto conn = db::Connection::open(recovered.connection_config());
    auto r = conn->exec("SELECT label FROM items ORDER BY id");
    for (int i = 0; i < r.rows(); ++i) labels.push_back(r.text(i, 0));
  }
  recovered.stop();
  return labels;
}

void PitrImmichTest::make_immich_database() {
  conn_->exec_script("DROP TABLE items, kysely_migrations");
  migrations::run_database_boot(db_, migrations::BootOptions{});
  conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('admin@example.com', 'Admin', true))");
}

int64_t PitrImmichTest::commit_user(const std::string& name) {
  conn_->exec(R"(INSERT INTO "user" (email, name) VALUES ($1 || '@example.com', $1))", {name});
  return conn_->exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").int64(0, 0);
}

std::vector<std::string> PitrImmichTest::live_users() {
  auto conn = db::Connection::open(db_);
  auto r = conn->exec(R"(SELECT name FROM "user" WHERE NOT "isAdmin" ORDER BY "createdAt")");
  std::vector<std::string> names;
  for (int i = 0; i < r.rows(); ++i) names.push_back(r.text(i, 0));
  return names;
}

}  // namespace keepsake::testing

namespace keepsake::testing {

db::EmbeddedOptions PitrEmbeddedTest::cluster_options() {
  Config config;
  config.data_dir = data_dir();
  auto o = db::embedded_options_for(config);
  o.throwaway = true;
  return o;
}

std::map<std::string, std::string> PitrEmbeddedTest::keepsake_env() const {
  return {{"KEEPSAKE_DATA_DIR", data_dir()}, {"IMMICH_MEDIA_LOCATION", dir_.path()}};
}

}  // namespace keepsake::testing
