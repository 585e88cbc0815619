// What a stored path holds, and whether losing it loses the user's data. Kinds are named after
// Immich's `asset_file.type` values (thumbnail, preview, fullsize, encoded_video, sidecar) plus
// original, person_thumbnail and profile_image for the other path columns. Only the kinds that
// one of Immich's jobs makes again are regenerable; every other kind (including an asset_file
// type this table does not know) counts as irreplaceable. Must never touch the disk.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace keepsake::storage {

// A job of Immich v2.7.5 that makes files again: its name as the admin's Jobs page shows it and
// its queue (QueueName, spec §7.2).
struct RegeneratingJob {
  std::string_view name;
  std::string_view queue;
};

// The job that regenerates files of `kind`, or nullptr when the kind is irreplaceable.
const RegeneratingJob* regenerating_job(std::string_view kind);
inline bool is_regenerable(std::string_view kind) { return regenerating_job(kind) != nullptr; }

// The jobs that regenerate the given kinds, each once and in a fixed order, with the kinds each
// one covers.
struct JobForKinds {
  const RegeneratingJob* job;
  std::vector<std::string> kinds;
};
std::vector<JobForKinds> jobs_for(const std::map<std::string, int64_t>& kinds);

// One sentence naming those jobs and how to run them in Immich; empty when `kinds` is empty.
std::string regeneration_hint(const std::map<std::string, int64_t>& kinds);

}  // namespace keepsake::storage
