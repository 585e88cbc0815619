// The seeder's generator without a database: PRNG, COPY text encoding, embeddings and the
// library model's distributions.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <set>

#include "common/error.h"
#include "dev/copy_text.h"
#include "dev/embeddings.h"
#include "dev/library_model.h"
#include "dev/prng.h"

namespace keepsake::dev {
namespace {

SeedOptions small_options(int64_t assets = 4000, uint64_t seed = 7) {
  SeedOptions o;
  o.assets = assets;
  o.seed = seed;
  o.media_location = "/srv/media";
  o.now = parse_utc_time("2026-06-01");
  return o;
}

TEST(PrngTest, SameSeedAndLabelGiveTheSameStream) {
  Prng a = Prng::stream(42, "asset", 3), b = Prng::stream(42, "asset", 3);
  Prng c = Prng::stream(42, "asset", 4), d = Prng::stream(43, "asset", 3);
  uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
  EXPECT_NE(first, d.next());
}

TEST(PrngTest, DistributionsStayInRangeAndLookRight) {
  Prng rng(1);
  double sum = 0, sum_sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    int64_t k = rng.between(-2, 2);
    ASSERT_GE(k, -2);
    ASSERT_LE(k, 2);
    double x = rng.normal();
    sum += x;
    sum_sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.05);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.05);
}

TEST(PrngTest, UuidsAreVersion4AndDistinct) {
  Prng rng(9);
  std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = rng.uuid();
    ASSERT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(CopyTextTest, TimestampsFormatAndParseInUtc) {
  EXPECT_EQ(format_timestamp(Timestamp{0}), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(format_timestamp(Timestamp{-1}), "1969-12-31 23:59:59.999999+00");
  Timestamp t = parse_utc_time("2024-02-29T13:14:15Z");
  EXPECT_EQ(format_timestamp(t), "2024-02-29 13:14:15.000000+00");
  EXPECT_EQ(format_date(parse_utc_time("2001-12-31")), "2001-12-31");
  EXPECT_THROW(parse_utc_time("yesterday"), Error);
  EXPECT_THROW(parse_utc_time("2024-13-01"), Error);
  // Found by the copy_text fuzz target (fuzz/corpus/copy_text/crash-loose-date): other layouts
  // and days a month does not have were accepted (as year 24, or as March 2).
  EXPECT_THROW(parse_utc_time("024-01-29T"), Error);
  EXPECT_THROW(parse_utc_time("2024-1-029"), Error);
  EXPECT_THROW(parse_utc_time("2023-02-29"), Error);
  EXPECT_THROW(parse_utc_time("2024-04-31T00:00:00Z"), Error);
  EXPECT_EQ(format_date(parse_utc_time("2024-02-29")), "2024-02-29");
}

TEST(CopyTextTest, LinesEscapeEverythingCopyTreatsSpecially) {
  std::string out;
  CopyLine(out).text("a\tb\nc\\d\re").null().integer(-5).boolean(true).end();
  EXPECT_EQ(out, "a\\tb\\nc\\\\d\\re\t\\N\t-5\tt\n");
  out.clear();
  CopyLine(out).bytea(std::string("\x00\xff\x10", 3)).text(std::optional<std::string>()).end();
  EXPECT_EQ(out, "\\\\x00ff10\t\\N\n");
  out.clear();
  float v[] = {0.5f, -0.125f, 1e-8f};
  CopyLine(out).vector(v).end();
  EXPECT_EQ(out, "[0.5,-0.125,1e-08]\n");
}

TEST(EmbeddingTest, VectorsAreUnitLengthAndClusterAroundTheirCentre) {
  const double spread = 0.6;
  EmbeddingSpace space(5, "clip", 20, spread);
  EmbeddingStats stats;
  std::vector<float> a(512), b(512), other(512);
  double same = 0, different = 0;
  for (int i = 0; i < 200; ++i) {
    space.sample(i % 20, i, a, &stats);
    space.sample(i % 20, i + 1000, b);
    space.sample((i + 7) % 20, i + 2000, other);
    same += dot(a, b);
    different += dot(a, other);
  }
  EXPECT_NEAR(stats.min_norm, 1.0, 1e-5);
  EXPECT_NEAR(stats.max_norm, 1.0, 1e-5);
  EXPECT_NEAR(stats.mean_cos_to_centre(), 1 / std::sqrt(1 + spread * spread), 0.02);
  EXPECT_GT(same / 200, 0.6);
  EXPECT_LT(std::abs(different / 200), 0.1);
}

TEST(EmbeddingTest, SameInputsGiveIdenticalVectors) {
  EmbeddingSpace s1(5, "face", 3, 0.4), s2(5, "face", 3, 0.4);
  std::vector<float> a(512), b(512);
  s1.sample(2, 77, a);
  s2.sample(2, 77, b);
  EXPECT_EQ(a, b);
  EXPECT_THROW(EmbeddingSpace(5, "x", 0, 0.4), Error);
  EXPECT_THROW(EmbeddingSpace(5, "x", 3, -1), Error);
}

TEST(LibraryModelTest, SameSeedSameLibraryOtherSeedOtherLibrary) {
  LibraryModel a(small_options()), b(small_options()), c(small_options(4000, 8));
  for (int64_t i : {0, 17, 3999}) {
    AssetFacts x = a.asset(i), y = b.asset(i);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.original_path, y.original_path);
    EXPECT_EQ(a.checksum(x), b.checksum(y));
    EXPECT_NE(x.id, c.asset(i).id);
  }
  EXPECT_EQ(a.users()[1].email, b.users()[1].email);
  EXPECT_EQ(a.face_count(), b.face_count());
}

TEST(LibraryModelTest, DistributionsMatchARealLibrary) {
  SeedOptions o = small_options();
  LibraryModel m(o);
  int videos = 0, gps = 0, faces = 0;
  double oldest = o.now.seconds();
  std::set<std::string> checksums;
  std::regex path("^/srv/media/upload/([0-9a-f-]{36})/([0-9a-f]{2})/([0-9a-f]{2})/"
                  "(([0-9a-f]{2})([0-9a-f]{2})[0-9a-f-]{32})\\.[A-Za-z0-9]+$");
  for (int64_t i = 0; i < m.asset_count(); ++i) {
    AssetFacts a = m.asset(i);
    videos += a.is_video;
    gps += a.place.has_value();
    faces += a.face_count;
    oldest = std::min(oldest, a.taken.seconds());
    ASSERT_LE(a.taken.seconds(), o.now.seconds());
    ASSERT_LE(a.taken.seconds(), a.created_at.seconds());
    std::smatch match;
    ASSERT_TRUE(std::regex_match(a.original_path, match, path)) << a.original_path;
    EXPECT_EQ(match[1].str(), m.users()[a.owner].id);
    EXPECT_EQ(match[2].str(), match[5].str());
    EXPECT_EQ(match[3].str(), match[6].str());
    std::string sum = m.checksum(a);
    ASSERT_EQ(sum.size(), 20u);
    checksums.insert(sum);
  }
  const double n = static_cast<double>(m.asset_count());
  EXPECT_NEAR(videos / n, 0.10, 0.02);
  EXPECT_NEAR(gps / n, 0.40, 0.08);
  EXPECT_NEAR(faces / n, 1.5, 0.15);
  EXPECT_EQ(faces, m.face_count());
  EXPECT_GT((o.now.seconds() - oldest) / (365.25 * 86400), 15);
  EXPECT_EQ(checksums.size(), static_cast<size_t>(m.asset_count()));
  EXPECT_TRUE(m.users()[0].is_admin);
  EXPECT_FALSE(m.users()[1].is_admin);
  EXPECT_NEAR(static_cast<double>(m.face_count()) / m.person_count(), 50, 10);
}

TEST(LibraryModelTest, RejectsBadOptionsWithTheFlagName) {
  SeedOptions o = small_options();
  o.users = 0;
  try {
    LibraryModel m(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("--users"), std::string::npos);
  }
  o = small_options();
  o.media_location = "relative/media";
  EXPECT_THROW(LibraryModel{o}, Error);
  o = small_options();
  o.spread = std::nan("");
  EXPECT_THROW(LibraryModel{o}, Error);
}

}  // namespace
}  // namespace keepsake::dev
