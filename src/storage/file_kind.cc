#include "storage/file_kind.h"

namespace keepsake::storage {
namespace {

// Immich's web admin titles (i18n admin.thumbnail_generation_job / admin.video_conversion_job).
// "Generate Thumbnails" also makes each person's face thumbnail.
constexpr RegeneratingJob kThumbnails{"Generate Thumbnails", "thumbnailGeneration"};
constexpr RegeneratingJob kVideos{"Transcode videos", "videoConversion"};
constexpr const RegeneratingJob* kJobOrder[] = {&kThumbnails, &kVideos};

struct KindJob {
  std::string_view kind;
  const RegeneratingJob* job;
};
constexpr KindJob kRegenerable[] = {{"thumbnail", &kThumbnails},
                                    {"preview", &kThumbnails},
                                    {"fullsize", &kThumbnails},
                                    {"person_thumbnail", &kThumbnails},
                                    {"encoded_video", &kVideos}};

}  // namespace

const RegeneratingJob* regenerating_job(std::string_view kind) {
  for (const auto& k : kRegenerable) {
    if (k.kind == kind) return k.job;
  }
  return nullptr;
}

std::vector<JobForKinds> jobs_for(const std::map<std::string, int64_t>& kinds) {
  std::vector<JobForKinds> out;
  for (const RegeneratingJob* job : kJobOrder) {
    JobForKinds entry{job, {}};
    for (const auto& [kind, count] : kinds) {
      if (count > 0 && regenerating_job(kind) == job) entry.kinds.push_back(kind);
    }
    if (!entry.kinds.empty()) out.push_back(std::move(entry));
  }
  return out;
}

std::string regeneration_hint(const std::map<std::string, int64_t>& kinds) {
  auto jobs = jobs_for(kinds);
  if (jobs.empty()) return "";
  std::string names;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (i > 0) names += i + 1 == jobs.size() ? " and " : ", ";
    names += "\"" + std::string(jobs[i].job->name) + "\" (" + std::string(jobs[i].job->queue) + ")";
  }
  return "Immich makes the regenerable files again: in Administration > Jobs, run " + names +
         " with \"All\" (\"Missing\" only picks assets that never had them), or use \"Refresh "
         "thumbnails\" / \"Refresh encoded videos\" on single assets.";
}

}  // namespace keepsake::storage
