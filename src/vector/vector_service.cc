#include "vector/vector_service.h"

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/log.h"
#include "common/utc_time.h"
#include "migrations/keepsake_migrations.h"
#include "vector/index_manager.h"

namespace keepsake::vector {
namespace fs = std::filesystem;

ExtensionSetupResult prepare_vectors_for_boot(db::Connection& conn, const Config& config) {
  Extension ext = select_vector_extension(conn, config);
  auto result = ensure_vector_extension(conn, ext);
  drop_unused_vector_extensions(conn, result);
  return result;
}

namespace {

std::atomic<VectorService*> g_active{nullptr};
}  // namespace

void set_active_vector_service(VectorService* service) { g_active = service; }
VectorService* active_vector_service() { return g_active; }

Extension installed_vector_extension(db::Connection& conn) {
  for (Extension ext : vector_extension_preference()) {
    if (!conn.exec("SELECT 1 FROM pg_extension WHERE extname = $1", {extension_sql_name(ext)})
             .empty()) {
      return ext;
    }
  }
  return Extension::kBuiltin;
}

std::unique_ptr<VectorService> start_vector_service(const Config& config,
                                                    const DatabaseConfig& database) {
  Extension ext = Extension::kBuiltin;
  if (config.vector_extension != "builtin") {
    auto conn = db::Connection::open(database);
    ext = installed_vector_extension(*conn);
  }
  auto service = std::make_unique<VectorService>(config, database, ext);
  set_active_vector_service(service.get());
  service->start();
  return service;
}

std::string builtin_index_folder(const Config& config, const std::string& database) {
  std::string base = config.data_dir.empty() ? "data" : config.data_dir;
  return base + "/vector/" + database;
}

VectorService::VectorService(Config config, DatabaseConfig database, Extension ext)
    : config_(std::move(config)), database_(std::move(database)), ext_(ext) {
  status_ = {{"extension", extension_sql_name(ext_)}, {"state", "starting"},
             {"indexes", nlohmann::json::object()}};
  if (ext_ == Extension::kBuiltin) {
    std::string folder = builtin_index_folder(config_, database_.dbname);
    clip_ = std::make_unique<BuiltinIndex>("smart_search", folder);
    face_ = std::make_unique<BuiltinIndex>("face_search", folder);
  }
}

VectorService::~VectorService() {
  VectorService* self = this;
  g_active.compare_exchange_strong(self, nullptr);
  stop();
}

void VectorService::start() {
  if (worker_.joinable()) return;
  worker_ = std::thread([this] { run_background(); });
}

void VectorService::stop() {
  stopping_ = true;
  if (worker_.joinable()) worker_.join();
}

void VectorService::wait_ready() {
  while (!ready_ && worker_.joinable()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

VectorSearch VectorService::search() const { return VectorSearch(ext_, clip_.get(), face_.get()); }

nlohmann::json VectorService::status() const {
  std::lock_guard lock(mu_);
  nlohmann::json s = status_;
  for (auto* index : {clip_.get(), face_.get()}) {
    if (!index) continue;
    std::string name = index->table() == "smart_search" ? "clip_index" : "face_index";
    s["indexes"][name]["rowsLoaded"] = index->rows_loaded();
    s["indexes"][name]["rowsTotal"] = index->rows_total();
    s["indexes"][name]["ready"] = index->ready();
    s["indexes"][name]["table"] = index->table();
    s["indexes"][name]["vectors"] = index->size();
    s["indexes"][name]["memoryBytes"] = index->memory_bytes();
    s["indexes"][name]["lastChange"] = index->last_change();
    if (index->synced_at_us() > 0) s["indexes"][name]["syncedAt"] = iso8601_utc(std::chrono::system_clock::time_point(std::chrono::microseconds(index->synced_at_us())));
  }
  return s;
}

void VectorService::set_index_status(const std::string& index, const nlohmann::json& value) {
  {
    std::lock_guard lock(mu_);
    for (auto& [k, v] : value.items()) status_["indexes"][index][k] = v;
  }
  publish();
}

void VectorService::publish() const {
  try {
    auto s = status();
    s["pid"] = static_cast<int>(::getpid());
    std::string folder = builtin_index_folder(config_, database_.dbname);
    fs::create_directories(folder);
    std::ofstream(folder + "/status.json.tmp") << s.dump();
    fs::rename(folder + "/status.json.tmp", folder + "/status.json");
  } catch (const std::exception& e) {
    spdlog::debug("Cannot write the vector status file: {}", e.what());
  }
}

void VectorService::run_background() {
  try {
    auto conn = db::Connection::open(database_);
    {
      std::lock_guard lock(mu_);
      status_["state"] = "indexing";
    }
    if (ext_ != Extension::kBuiltin) {
      for (const auto& name : vector_index_names()) set_index_status(name, {{"state", "checking"}});
      auto decisions = reindex_vectors_if_needed(*conn, ext_, vector_index_names());
      for (const auto& d : decisions) {
        set_index_status(d.index, {{"state", "ready"}, {"reindexed", d.reindex},
                                   {"reason", d.reason}, {"probes", probes().get(d.index)}});
      }
      prewarm_vector_indexes(*conn, ext_);
    } else {
      migrations::apply_keepsake_migrations(*conn);
      install_change_triggers(*conn);
      for (auto* index : {clip_.get(), face_.get()}) {
        std::string name = index->table() == "smart_search" ? "clip_index" : "face_index";
        set_index_status(name, {{"state", "building"}});
        if (conn->exec("SELECT to_regclass($1) IS NULL", {"public." + index->table()}).boolean(0, 0)) {
          set_index_status(name, {{"state", "missing-table"}});
          continue;
        }
        auto outcome = index->load_or_build(*conn);
        index->save();
        set_index_status(name, {{"state", "ready"}, {"outcome", load_outcome_name(outcome)}});
        spdlog::info("Built-in vector index {} {} ({} vectors)", name, load_outcome_name(outcome),
                     index->size());
      }
    }
    {
      std::lock_guard lock(mu_);
      status_["state"] = "ready";
    }
    publish();
    ready_ = true;
    if (ext_ == Extension::kBuiltin) listen_loop();
  } catch (const std::exception& e) {
    spdlog::warn("Could not run vector reindexing checks: {}. If the extension was updated, please "
                 "restart the Postgres instance.", e.what());
    {
      std::lock_guard lock(mu_);
      status_["state"] = "failed";
      status_["error"] = e.what();
    }
    publish();
    ready_ = true;
  }
}

void VectorService::listen_loop() {
  auto conn = db::Connection::open(database_);
  conn->listen(kVectorChangeChannel);
  auto last_save = std::chrono::steady_clock::now();
  bool dirty = false;
  while (!stopping_) {
    auto n = conn->wait_notification(std::chrono::milliseconds(200));
    if (n) {
      while (conn->wait_notification(std::chrono::milliseconds(0))) {
      }
      for (auto* index : {clip_.get(), face_.get()}) dirty |= index->sync(*conn) > 0;
    }
    if (dirty && std::chrono::steady_clock::now() - last_save > std::chrono::seconds(60)) {
      for (auto* index : {clip_.get(), face_.get()}) index->save();
      last_save = std::chrono::steady_clock::now();
      dirty = false;
    }
  }
  for (auto* index : {clip_.get(), face_.get()}) {
    if (index->ready()) index->save();
  }
}

}  // namespace keepsake::vector
