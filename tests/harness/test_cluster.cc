#include "harness/test_cluster.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "db/embedded_postgres.h"

namespace keepsake::testing {
namespace fs = std::filesystem;

namespace {

ClusterAddress read_address(const std::string& dir) {
  std::ifstream in(dir + "/cluster.env");
  if (!in) throw std::runtime_error("no test cluster at " + dir + " (cluster.env missing)");
  ClusterAddress a;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "socket_dir") a.socket_dir = v;
    else if (k == "port") a.port = std::stoi(v);
    else if (k == "superuser") a.superuser = v;
  }
  return a;
}

// Owns a cluster started by this process when no ctest fixture provided one.
struct OwnCluster {
  std::string dir;
  std::unique_ptr<db::EmbeddedPostgres> pg;
  ~OwnCluster() {
    try {
      if (pg) pg->stop();
      fs::remove_all(dir);
    } catch (...) {
    }
  }
};

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
}

}  // namespace

const ClusterAddress& cluster() {
  static std::once_flag once;
  static ClusterAddress address;
  // spdlog's registry must outlive `own` (its destructor logs while stopping the cluster):
  // statics are destroyed in reverse order of construction, so touch the registry first.
  static const auto logger = spdlog::default_logger();
  static OwnCluster own;
  std::call_once(once, [] {
    if (const char* dir = std::getenv("KEEPSAKE_TEST_CLUSTER"); dir && *dir) {
      address = read_address(dir);
      return;
    }
    own.dir = fs::temp_directory_path() / ("keepsake-test-" + unique_suffix());
    db::EmbeddedOptions o;
    o.cluster_dir = own.dir;
    o.port = 20000 + static_cast<int>(getpid() % 20000);
    o.listen_tcp = true;
    o.database = "";
    o.throwaway = true;
    own.pg = std::make_unique<db::EmbeddedPostgres>(o);
    own.pg->start();
    address = {own.pg->socket_dir(), o.port, o.superuser};
  });
  return address;
}

DatabaseConfig superuser_config(const std::string& dbname) {
  const auto& a = cluster();
  DatabaseConfig c;
  c.host = a.socket_dir;
  c.port = std::to_string(a.port);
  c.user = a.superuser;
  c.dbname = dbname;
  return c;
}

DatabaseConfig tcp_config(const std::string& dbname, const std::string& user,
                          const std::string& password) {
  DatabaseConfig c;
  c.host = "127.0.0.1";
  c.port = std::to_string(cluster().port);
  c.user = user;
  c.password = password;
  c.dbname = dbname;
  return c;
}

std::string database_url(const std::string& dbname) {
  const auto& c = cluster();
  return "postgresql://" + c.superuser + "@localhost/" + dbname + "?host=" + c.socket_dir +
         "&port=" + std::to_string(c.port);
}

Config config_for(const std::string& dbname) {
  Config c = load_config({{"DB_HOSTNAME", "localhost"}});
  c.db = superuser_config(dbname);
  return c;
}

std::string create_fresh_database(const std::string& prefix) {
  std::string name = prefix + "_" + unique_suffix();
  auto conn = db::Connection::open(superuser_config());
  conn->exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE template0", {},
             "create test database");
  return name;
}

void drop_database(const std::string& name) {
  auto conn = db::Connection::open(superuser_config());
  conn->exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)", {},
             "drop test database");
}

void DatabaseTest::SetUp() {
  db_name_ = create_fresh_database();
  db_config_ = superuser_config(db_name_);
  conn_ = db::Connection::open(db_config_);
}

void DatabaseTest::TearDown() {
  conn_.reset();
  drop_database(db_name_);
}

TempDir::TempDir() {
  path_ = (fs::temp_directory_path() / ("keepsake-tmp-" + unique_suffix())).string();
  fs::create_directories(path_);
  fs::permissions(path_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace keepsake::testing
