#include "harness/own_cluster.h"

#include "auth/api_key_repository.h"
#include "auth/crypto.h"
#include "harness/keepsake_process.h"

namespace keepsake::testing {

OwnCluster::OwnCluster() {
  db::EmbeddedOptions o;
  o.cluster_dir = dir_.path() + "/pg";
  o.port = free_port();
  o.listen_tcp = true;
  o.database = "immich";
  o.throwaway = true;
  pg_ = std::make_unique<db::EmbeddedPostgres>(o);
  pg_->start();
}

OwnCluster::~OwnCluster() {
  try {
    pg_->stop();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stopping the test's own cluster: " << e.what();
  }
}

std::string OwnCluster::url() const {
  auto c = config();
  return "postgresql://" + c.user + "@localhost/" + c.dbname + "?host=" + c.host + "&port=" + c.port;
}

void OwnCluster::restart() {
  pg_->stop();
  pg_->start();
}

std::string insert_admin_with_api_key(db::Connection& conn, const std::string& key) {
  auto admin = conn.exec(R"(INSERT INTO "user" (email, name, "isAdmin")
                            VALUES ('admin@example.com', 'Admin', true) RETURNING id::text)")
                   .text(0, 0);
  conn.exec(R"(INSERT INTO api_key (name, key, "userId", permissions)
               VALUES ('test', $1::bytea, $2, $3::varchar[]))",
            {db::bytea_param(auth::sha256(key)), admin, auth::text_array_literal({"all"})});
  return admin;
}

}  // namespace keepsake::testing
