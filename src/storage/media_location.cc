#include "storage/media_location.h"

#include "common/error.h"
#include "common/log.h"
#include "config/redis_config.h"
#include "db/locks.h"
#include "db/system_metadata.h"
#include "db/write_fence.h"
#include "pitr/pitr.h"

namespace keepsake::storage {

const char* const kInconsistentMediaLocation =
    "Detected an inconsistent media location. For more information, see "
    "https://docs.immich.app/errors#inconsistent-media-location";

namespace {

std::string strip_slash(std::string p) {
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string default_previous(const MediaLocationInputs& in) {
  if (in.current_from_env) return in.current;
  if (in.samples.front().starts_with("upload/")) return "upload";
  return "/usr/src/app/upload";
}

std::optional<std::string> saved_location(db::SystemMetadataRepository& repo) {
  auto v = repo.get(db::metadata_key::kMediaLocation);
  if (!v || !v->is_object() || !v->contains("location") || !(*v)["location"].is_string()) {
    return std::nullopt;
  }
  auto location = (*v)["location"].get<std::string>();
  if (location.empty()) return std::nullopt;
  return location;
}

std::vector<std::string> sample_paths(db::Connection& conn) {
  auto r = conn.exec(R"(SELECT "assetId", "path" FROM "asset_file" LIMIT 3)", {},
                     "read sample file paths");
  std::vector<std::string> samples;
  for (int i = 0; i < r.rows(); ++i) samples.push_back(r.text(i, 1));
  return samples;
}

std::string inconsistency_hint(const MediaLocationDecision& d, const MediaLocationInputs& in) {
  return "the media location changed from \"" + d.previous + "\" to \"" + in.current +
         "\", but stored paths such as \"" + in.samples.front() + "\" lie under neither; set " +
         "IMMICH_MEDIA_LOCATION to the folder the paths use, or rewrite them with `keepsake " +
         "storage migrate-paths --from <old> --to " + in.current + "`";
}

// Behind the write fence when this role may raise it; a boot never refuses (Immich migrates
// unfenced), it only says so.
PathMigrationResult migrate_fenced(db::Connection& conn, const Config& config, const std::string& from,
                                   const std::string& to, const PathMigrationOptions& options) {
  auto fence = db::fence_or_refuse(conn.config(), "media-location change", restart_channel_configured(), true);
  pitr::create_restore_point(conn, config, "media-location");
  auto result = migrate_paths(conn, from, to, options);
  if (fence) fence->lift();
  return result;
}

}  // namespace

bool path_is_under(const std::string& path, const std::string& folder) {
  auto f = strip_slash(folder);
  if (f == "/") return path.starts_with("/");
  return path == f || path.starts_with(f + "/");
}

MediaLocationDecision decide_media_location(const MediaLocationInputs& in) {
  MediaLocationDecision d;
  const auto current = strip_slash(in.current);
  d.save_current = !in.saved || strip_slash(*in.saved) != current;
  if (in.samples.empty()) return d;
  d.previous = strip_slash(in.saved ? *in.saved : default_previous(in));
  bool any_under_previous = false;
  bool any_under_current = false;
  for (const auto& s : in.samples) {
    any_under_previous = any_under_previous || path_is_under(s, d.previous);
    any_under_current = any_under_current || path_is_under(s, current);
  }
  if (d.previous == current) {
    d.paths_outside = !any_under_current;
    return d;
  }
  d.action = any_under_previous ? MediaLocationDecision::Action::kMigrate
                                : MediaLocationDecision::Action::kInconsistent;
  if (d.action == MediaLocationDecision::Action::kInconsistent) d.save_current = false;
  return d;
}

MediaLocationOutcome apply_media_location(db::Connection& conn, const Config& config,
                                          const PathMigrationOptions& options) {
  MediaLocationOutcome out;
  if (auto pending = pending_path_migration(conn)) {
    spdlog::warn("Finishing the interrupted path migration from {} to {}", pending->from,
                 pending->to);
    out.resumed = migrate_fenced(conn, config, pending->from, pending->to, options);
  }
  db::SystemMetadataRepository repo(conn);
  MediaLocationInputs in{config.media_location, config.media_location_from_env,
                         saved_location(repo), sample_paths(conn)};
  out.decision = decide_media_location(in);
  const auto current = strip_slash(in.current);
  using Action = MediaLocationDecision::Action;
  if (out.decision.action == Action::kInconsistent) {
    throw Error(ErrorKind::kConflict, kInconsistentMediaLocation,
                inconsistency_hint(out.decision, in));
  }
  if (out.decision.action == Action::kMigrate) {
    spdlog::info("Media location changed (from={}, to={})", out.decision.previous, current);
    spdlog::warn("Migrating file paths from {} to {}", out.decision.previous, current);
    out.migrated = migrate_fenced(conn, config, out.decision.previous, current, options);
  }
  if (out.decision.paths_outside) {
    spdlog::warn("Stored file paths (e.g. {}) do not lie under the media location {}; run "
                 "`keepsake storage scan` to list them",
                 in.samples.front(), current);
  }
  if (out.decision.save_current) {
    repo.upsert(db::metadata_key::kMediaLocation, {{"location", current}});
  }
  return out;
}

MediaLocationOutcome run_boot_media_location(const DatabaseConfig& database, const Config& config,
                                             const PathMigrationOptions& options) {
  MediaLocationOutcome out;
  db::with_lock(database, db::DatabaseLock::MediaLocation,
                [&](db::Connection& conn) { out = apply_media_location(conn, config, options); });
  return out;
}

}  // namespace keepsake::storage
