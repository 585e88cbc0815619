// keepsake_test_cluster start|stop DIR: the ctest fixture that gives a whole test run one
// throwaway PostgreSQL cluster (see test_cluster.h).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "db/embedded_postgres.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 3) {
    std::cerr << "usage: keepsake_test_cluster start|stop DIR\n";
    return 2;
  }
  keepsake::log::init("warn");
  std::string cmd = argv[1], dir = argv[2];
  try {
    if (cmd == "start") {
      std::error_code ec;
      if (fs::exists(dir + "/pg/data/postmaster.pid")) {
        keepsake::db::EmbeddedOptions old;
        old.cluster_dir = dir + "/pg";
        keepsake::db::EmbeddedPostgres(old).stop();
      }
      fs::remove_all(dir, ec);
      // A short path for the socket: the build folder may be deep.
      std::string cluster = (fs::temp_directory_path() / ("keepsake-ctest-" + std::to_string(getpid()))).string();
      fs::remove_all(cluster, ec);
      fs::create_directories(dir);
      fs::create_symlink(cluster, dir + "/pg");
      keepsake::db::EmbeddedOptions o;
      o.cluster_dir = cluster;
      o.port = 20000 + static_cast<int>(getpid() % 20000);
      o.listen_tcp = true;
      o.database = "";
      o.throwaway = true;
      keepsake::db::EmbeddedPostgres pg(o);
      pg.start();
      std::ofstream(dir + "/cluster.env") << "socket_dir=" << pg.socket_dir() << "\nport=" << o.port
                                          << "\nsuperuser=" << o.superuser << "\n";
      std::cout << "test cluster ready: " << pg.socket_dir() << " port " << o.port << "\n";
    } else if (cmd == "stop") {
      if (!fs::exists(dir + "/pg")) return 0;
      std::string cluster = fs::read_symlink(dir + "/pg").string();
      keepsake::db::EmbeddedOptions o;
      o.cluster_dir = cluster;
      keepsake::db::EmbeddedPostgres(o).stop();
      fs::remove_all(cluster);
      fs::remove_all(dir);
    } else {
      std::cerr << "unknown command " << cmd << "\n";
      return 2;
    }
  } catch (const keepsake::Error& e) {
    std::cerr << "keepsake_test_cluster: " << e.full_message() << "\n";
    return 1;
  }
  return 0;
}
