// The SHA-1 helpers of storage verify: the known test vector, a file longer than the read buffer,
// and the states of a file that cannot be hashed.
#include "storage/checksum_verify.h"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/test_cluster.h"

namespace keepsake::storage {
namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(ChecksumVerify, Sha1OfMatchesTheStandardTestVector) {
  EXPECT_EQ(hex(sha1_of("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(ChecksumVerify, AFileLongerThanTheBufferHashesAsItsWholeContent) {
  keepsake::testing::TempDir dir;
  std::string content(9 * 1024 * 1024 + 7, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 % 251);
  std::ofstream(dir.path() + "/big", std::ios::binary) << content;
  std::vector<char> buffer;
  auto d = sha1_of_file(dir.path() + "/big", buffer);
  ASSERT_TRUE(d.sha1);
  EXPECT_EQ(*d.sha1, sha1_of(content));
  EXPECT_EQ(d.bytes, static_cast<int64_t>(content.size()));
  EXPECT_LT(buffer.size(), content.size()) << "else one read covered it all";
}

TEST(ChecksumVerify, AMissingFileAndADirectoryGiveNoDigest) {
  keepsake::testing::TempDir dir;
  std::vector<char> buffer;
  auto missing = sha1_of_file(dir.path() + "/nothing", buffer);
  EXPECT_TRUE(missing.missing);
  EXPECT_FALSE(missing.sha1);
  auto folder = sha1_of_file(dir.path(), buffer);
  EXPECT_FALSE(folder.missing);
  EXPECT_FALSE(folder.sha1) << "reading a directory fails";
  EXPECT_FALSE(folder.error.empty());
}

}  // namespace
}  // namespace keepsake::storage
