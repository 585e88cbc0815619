#include "storage/file_kind.h"

#include <gtest/gtest.h>

namespace keepsake::storage {
namespace {

TEST(FileKindTest, OnlyWhatImmichsJobsMakeIsRegenerable) {
  for (const char* kind : {"thumbnail", "preview", "fullsize", "person_thumbnail"}) {
    ASSERT_TRUE(is_regenerable(kind)) << kind;
    EXPECT_EQ(regenerating_job(kind)->name, "Generate Thumbnails") << kind;
    EXPECT_EQ(regenerating_job(kind)->queue, "thumbnailGeneration") << kind;
  }
  ASSERT_TRUE(is_regenerable("encoded_video"));
  EXPECT_EQ(regenerating_job("encoded_video")->name, "Transcode videos");
  EXPECT_EQ(regenerating_job("encoded_video")->queue, "videoConversion");
  for (const char* kind : {"original", "sidecar", "profile_image", "some_future_type", ""}) {
    EXPECT_FALSE(is_regenerable(kind)) << kind;
  }
}

TEST(FileKindTest, JobsAreListedOnceInAFixedOrderWithTheirKinds) {
  auto jobs = jobs_for({{"encoded_video", 2}, {"original", 4}, {"preview", 1}, {"thumbnail", 3}});
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].job->name, "Generate Thumbnails");
  EXPECT_EQ(jobs[0].kinds, (std::vector<std::string>{"preview", "thumbnail"}));
  EXPECT_EQ(jobs[1].job->name, "Transcode videos");
  EXPECT_EQ(jobs[1].kinds, (std::vector<std::string>{"encoded_video"}));
  EXPECT_TRUE(jobs_for({{"original", 1}, {"sidecar", 1}}).empty());
}

TEST(FileKindTest, HintNamesOnlyTheJobsNeeded) {
  EXPECT_EQ(regeneration_hint({}), "");
  EXPECT_EQ(regeneration_hint({{"original", 3}}), "");
  auto videos = regeneration_hint({{"encoded_video", 1}});
  EXPECT_NE(videos.find("\"Transcode videos\" (videoConversion)"), std::string::npos) << videos;
  EXPECT_EQ(videos.find("Generate Thumbnails"), std::string::npos) << videos;
  auto both = regeneration_hint({{"thumbnail", 1}, {"encoded_video", 1}});
  EXPECT_NE(both.find("\"Generate Thumbnails\" (thumbnailGeneration) and \"Transcode videos\""),
            std::string::npos)
      << both;
  EXPECT_NE(both.find("\"All\""), std::string::npos) << both;
}

}  // namespace
}  // namespace keepsake::storage
