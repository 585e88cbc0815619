// The running server's vector side: the boot step (choose / create / update the extension, drop the
// unused ones, under lock Migrations), and after the HTTP server is up, in the background, the
// reindex check (extensions) or the load / build of the built-in graphs, whose progress is
// published for the status route and written to <data>/vector/status.json for the CLI. In built-in
// mode a LISTEN connection keeps the graphs in step with writes from any client.
// Must never block the server from listening and never hold a pooled connection for long.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "config/config.h"
#include "db/connection.h"
#include "vector/builtin_index.h"
#include "vector/extension.h"
#include "vector/search.h"

namespace keepsake::vector {

// The boot's vector step (spec §3.3 2.1–2.3 and 2.5) on the connection holding lock 200.
// The reindex check (2.4) is left to VectorService::start so it never delays listening.
ExtensionSetupResult prepare_vectors_for_boot(db::Connection& conn, const Config& config);

// Where the built-in graphs of a database live: <data_dir>/vector/<database>.
std::string builtin_index_folder(const Config& config, const std::string& database);

class VectorService {
 public:
  VectorService(Config config, DatabaseConfig database, Extension ext);
  ~VectorService();

  // Starts the background work (reindex check or graph load/build, then the change listener).
  void start();
  void stop();
  // Waits until the background load / reindex finished (tests, CLI).
  void wait_ready();

  Extension extension() const { return ext_; }
  VectorSearch search() const;
  // The built-in smart_search index (null for an extension), for measurements.
  const BuiltinIndex* clip_index() const { return clip_.get(); }
  // {"extension", "state", "indexes": {name: {state, rowsLoaded, rowsTotal, outcome, ...}}}.
  nlohmann::json status() const;

 private:
  void run_background();
  void listen_loop();
  void set_index_status(const std::string& index, const nlohmann::json& value);
  void publish() const;

  Config config_;
  DatabaseConfig database_;
  Extension ext_;
  std::unique_ptr<BuiltinIndex> clip_, face_;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
  mutable std::mutex mu_;
  nlohmann::json status_;
};

// The service of the running server (null when none runs, e.g. in the CLI): routes use it.
void set_active_vector_service(VectorService* service);
VectorService* active_vector_service();

// For `keepsake serve`, after the HTTP server is bound: starts the service for the extension the
// database uses (DB_VECTOR_EXTENSION=builtin, or no vector extension installed: built-in) and makes
// it the active one.
std::unique_ptr<VectorService> start_vector_service(const Config& config,
                                                    const DatabaseConfig& database);

// The extension a database uses now, without changing anything: an installed vchord / vectors /
// vector (in that order), else built-in.
Extension installed_vector_extension(db::Connection& conn);

}  // namespace keepsake::vector
