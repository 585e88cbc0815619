// serve's PITR: the stream and the scheduler of an enabled archive, after enabling the embedded
// cluster's archive in the background when it never was (KEEPSAKE_PITR_AUTO_ENABLE).
#include <filesystem>
#include <thread>

#include "backup/backup_service.h"
#include "common/log.h"
#include "db/embedded_postgres.h"
#include "pitr/archive.h"

namespace keepsake::pitr {
namespace {

enum class Plan { kNothing, kStream, kEnableFirst };

// Says once, at start, why nothing runs and how to turn it on.
Plan plan_for(const DatabaseConfig& db, const std::string& dir) {
  if (is_enabled(dir)) return Plan::kStream;
  if (!db.embedded) return Plan::kNothing;
  if (std::filesystem::exists(Archive(dir).disabled_state_file())) {
    spdlog::info("PITR: point-in-time recovery is off (`keepsake pitr disable`); `keepsake pitr enable` turns it on");
    return Plan::kNothing;
  }
  if (!auto_enable_requested(process_environment())) {
    spdlog::info("PITR: point-in-time recovery is off (KEEPSAKE_PITR_AUTO_ENABLE=false); `keepsake pitr enable` "
                 "turns it on, or unset KEEPSAKE_PITR_AUTO_ENABLE and restart");
    return Plan::kNothing;
  }
  return Plan::kEnableFirst;
}

}  // namespace

struct PitrService::State {
  DatabaseConfig db;
  std::string dir;
  std::string embedded_data_dir;  // "" for an external database
  std::thread enabling;
  std::unique_ptr<WalStreamer> streamer;
  std::unique_ptr<PitrScheduler> scheduler;

  void run() {
    // A restore killed between its swap of the data folder and the archive's switch to the new
    // timeline: the stream could not resume before it.
    if (!embedded_data_dir.empty()) {
      try {
        adopt_timeline(dir, embedded_data_dir);
      } catch (const std::exception& e) {
        spdlog::error("PITR: the archive cannot follow the embedded cluster's new timeline: {}", e.what());
      }
    }
    streamer = std::make_unique<WalStreamer>(db, dir, synchronous_requested(process_environment()));
    streamer->start();
    scheduler = std::make_unique<PitrScheduler>(SchedulerOptions{.db = db, .archive_dir = dir});
    scheduler->start();
  }

  void enable_then_run() {
    spdlog::info("PITR: enabling point-in-time recovery for the embedded cluster: archive {} "
                 "(KEEPSAKE_PITR_AUTO_ENABLE=false turns this off)", dir);
    try {
      enable({.db = db, .archive_dir = dir, .synchronous = synchronous_requested(process_environment())});
      run();
    } catch (const std::exception& e) {
      spdlog::warn("PITR: cannot enable point-in-time recovery for the embedded cluster: {}; the server runs "
                   "without it; `keepsake pitr status` shows why, `keepsake pitr enable` tries again", e.what());
      try {
        Archive archive(dir);
        bool new_streak = !archive.enable_failure();  // a successful enable removes the record
        archive.record_enable_failure(e.what());
        if (new_streak) {
          backup::notify_job_failure(db, "PitrArchive", std::string("point-in-time recovery: could not enable: ") + e.what());
        }
      } catch (const std::exception& record_error) {
        spdlog::warn("PITR: cannot record that failure in {}: {}", dir, record_error.what());
      }
    }
  }
};

PitrService::PitrService(const Config& config, DatabaseConfig db) : state_(std::make_unique<State>()) {
  state_->db = std::move(db);
  state_->dir = archive_dir_for(config);
  Config live = config;
  live.db = state_->db;
  if (db::is_own_embedded_cluster(live)) {
    state_->embedded_data_dir = db::EmbeddedPostgres(db::embedded_options_for(config)).data_dir();
  }
}

PitrService::~PitrService() { stop(); }

void PitrService::start() {
  switch (plan_for(state_->db, state_->dir)) {
    case Plan::kStream: state_->run(); break;
    case Plan::kEnableFirst: state_->enabling = std::thread([s = state_.get()] { s->enable_then_run(); }); break;
    case Plan::kNothing: break;
  }
}

void PitrService::stop() {
  if (state_->enabling.joinable()) state_->enabling.join();
  state_->scheduler.reset();
  if (state_->streamer) state_->streamer->stop();
  state_->streamer.reset();
}

}  // namespace keepsake::pitr
