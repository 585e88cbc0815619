#include "app/app_context.h"

namespace keepsake::app {

AppContext::AppContext(Config config) : config_(std::move(config)) {
  if (config_.db.embedded) {
    embedded_ = std::make_unique<db::EmbeddedPostgres>(db::embedded_options_for(config_));
  }
}

DatabaseConfig AppContext::database() const {
  if (embedded_) return embedded_->connection_config(config_.db.dbname);
  return config_.db;
}

void AppContext::ensure_database_running() {
  if (!embedded_ || embedded_->running()) return;
  embedded_->start();
  started_here_ = true;
}

void AppContext::stop_embedded(bool force) {
  if (embedded_ && (started_here_ || force)) embedded_->stop();
  started_here_ = false;
}

}  // namespace keepsake::app
