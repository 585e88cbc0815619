#include "backup/gzip_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/error.h"
#include "common/process.h"
#include "harness/test_cluster.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

std::string sample_sql(size_t rows) {
  std::mt19937 rng(42);
  std::string s = "COPY public.t (id, name) FROM stdin;\n";
  for (size_t i = 0; i < rows; ++i) s += std::to_string(i) + "\tname-" + std::to_string(rng()) + "\n";
  return s + "\\.\n";
}

// Returns the number of gzip members written.
int write_gzip(const std::string& path, const std::string& data, GzipEngine engine,
               uint64_t member_bytes = GzipFileWriter::kMemberBytes) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  GzipFileWriter w(fd, path, engine, member_bytes);
  for (size_t i = 0; i < data.size(); i += 7777) w.write(std::string_view(data).substr(i, 7777));
  w.finish();
  close(fd);
  return w.members();
}

std::string read_all(DumpFileReader& reader) {
  std::string out, buf(65536, '\0');
  while (size_t n = reader.read(buf.data(), buf.size())) out.append(buf.data(), n);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::string gunzip_with_system_tool(const std::string& path) {
  ProcessOptions o;
  o.argv = {"gzip", "-dc", path};
  o.env = minimal_environment();
  auto r = run_process(o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

Error verify_error(const std::string& path) {
  try {
    verify_gzip_file(path);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "verification passed for " << path;
  return Error(ErrorKind::kInternal, "");
}

TEST(GzipStreamTest, BothEnginesWriteStandardGzipThatVerifies) {
  TempDir dir;
  std::string data = sample_sql(20000);
  for (auto engine : {GzipEngine::kIsal, GzipEngine::kZlib}) {
    std::string path = dir.path() + "/out.gz";
    write_gzip(path, data, engine);
    EXPECT_EQ(gunzip_with_system_tool(path), data);
    auto check = verify_gzip_file(path);
    EXPECT_EQ(check.uncompressed_bytes, data.size());
    EXPECT_EQ(check.members, 1);
    EXPECT_EQ(check.compressed_bytes, fs::file_size(path));
    EXPECT_LT(check.compressed_bytes, data.size() / 2);
    EXPECT_EQ(check.tail, data.substr(data.size() - 4096));
  }
}

TEST(GzipStreamTest, WriterReportsSizesAndChecksum) {
  TempDir dir;
  std::string path = dir.path() + "/x.gz";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  GzipFileWriter w(fd, path);
  w.write("hello\n");
  w.finish();
  close(fd);
  EXPECT_EQ(w.bytes_in(), 6u);
  EXPECT_EQ(w.bytes_out(), fs::file_size(path));
  EXPECT_EQ(w.sha256_hex(), verify_gzip_file(path).sha256);
  ProcessOptions o;
  o.argv = {"sha256sum", path};
  o.env = minimal_environment();
  EXPECT_EQ(run_process(o).out.substr(0, 64), w.sha256_hex());
}

TEST(GzipStreamTest, ConcatenatedMembersAreOneStreamAsForGunzip) {
  TempDir dir;
  std::string a = dir.path() + "/a.gz", b = dir.path() + "/b.gz";
  write_gzip(a, "first\n", GzipEngine::kIsal);
  write_gzip(b, "second\n", GzipEngine::kZlib);
  write_file(a, read_file(a) + read_file(b));
  auto check = verify_gzip_file(a);
  EXPECT_EQ(check.members, 2);
  EXPECT_EQ(check.tail, "first\nsecond\n");
}

TEST(GzipStreamTest, MembersEndAtLineEndsAndReadingCanStartAtAnyOfThem) {
  TempDir dir;
  std::string data = sample_sql(20000);
  for (auto engine : {GzipEngine::kIsal, GzipEngine::kZlib}) {
    std::string path = dir.path() + "/members.gz";
    int members = write_gzip(path, data, engine, 4096);
    EXPECT_GT(members, 50);
    EXPECT_EQ(gunzip_with_system_tool(path), data);
    DumpFileReader reader(path);
    EXPECT_EQ(read_all(reader), data);
    EXPECT_EQ(reader.members(), members);
    auto check = verify_gzip_file(path);
    EXPECT_EQ(check.members, members);
    ASSERT_EQ(reader.seek_points().size(), static_cast<size_t>(members));
    EXPECT_EQ(reader.seek_points()[0].file_offset, 0u);
    uint64_t previous = 0;
    for (auto& point : reader.seek_points()) {
      EXPECT_TRUE(point.line_start) << point.sql_offset;
      if (point.sql_offset > 0) {
        EXPECT_EQ(data[point.sql_offset - 1], '\n');
        EXPECT_GE(point.sql_offset - previous, 4096u);  // a member holds at least member_bytes
      }
      previous = point.sql_offset;
    }
    for (size_t i : {size_t{0}, size_t{1}, reader.seek_points().size() / 2, reader.seek_points().size() - 1}) {
      auto point = reader.seek_points()[i];
      DumpFileReader from(path, point, true);
      EXPECT_EQ(read_all(from), data.substr(point.sql_offset)) << i;
      EXPECT_EQ(from.sql_bytes(), data.size());
    }
  }
}

TEST(GzipStreamTest, AMemberLongerThanItsSizeWaitsForTheLineEnd) {
  TempDir dir;
  std::string path = dir.path() + "/long.gz";
  std::string line(100000, 'x');
  EXPECT_EQ(write_gzip(path, line, GzipEngine::kIsal, 4096), 1);
  EXPECT_EQ(write_gzip(path, line + "\n" + line, GzipEngine::kIsal, 4096), 2);
  DumpFileReader reader(path);
  EXPECT_EQ(read_all(reader), line + "\n" + line);
  ASSERT_EQ(reader.seek_points().size(), 2u);
  EXPECT_EQ(reader.seek_points()[1].sql_offset, line.size() + 1);
  EXPECT_EQ(write_gzip(path, line + "\n", GzipEngine::kIsal, 4096), 1);  // no empty last member
  EXPECT_EQ(gunzip_with_system_tool(path), line + "\n");
}

TEST(GzipStreamTest, SeekPointsOfForeignMembersNeedNotStartALine) {
  TempDir dir;
  std::string a = dir.path() + "/a.gz", b = dir.path() + "/b.gz";
  write_gzip(a, "first half of a line, ", GzipEngine::kIsal);
  write_gzip(b, "second half\n", GzipEngine::kZlib);
  uint64_t first_member_bytes = fs::file_size(a);
  write_file(a, read_file(a) + read_file(b));
  DumpFileReader reader(a);
  EXPECT_EQ(read_all(reader), "first half of a line, second half\n");
  ASSERT_EQ(reader.seek_points().size(), 2u);
  EXPECT_TRUE(reader.seek_points()[0].line_start);
  EXPECT_FALSE(reader.seek_points()[1].line_start);
  EXPECT_EQ(reader.seek_points()[1].file_offset, first_member_bytes);
}

TEST(GzipStreamTest, DamageIsDetected) {
  TempDir dir;
  std::string good = dir.path() + "/good.gz", bad = dir.path() + "/bad.gz";
  std::string data = sample_sql(5000);
  write_gzip(good, data, GzipEngine::kIsal);
  std::string bytes = read_file(good);
  size_t n = bytes.size();

  std::string crc = bytes;
  crc[n - 8] ^= 0x01;  // CRC-32 in the trailer
  write_file(bad, crc);
  EXPECT_EQ(verify_error(bad).kind(), ErrorKind::kCorrupt);

  std::string length = bytes;
  length[n - 4] ^= 0x01;  // ISIZE in the trailer
  write_file(bad, length);
  EXPECT_EQ(verify_error(bad).kind(), ErrorKind::kCorrupt);

  write_file(bad, bytes.substr(0, n / 2));
  EXPECT_NE(std::string(verify_error(bad).what()).find("truncated"), std::string::npos);

  write_file(bad, bytes.substr(0, n - 3));  // only the trailer is cut
  EXPECT_EQ(verify_error(bad).kind(), ErrorKind::kCorrupt);

  write_file(bad, bytes + "garbage");
  EXPECT_NE(std::string(verify_error(bad).what()).find("trailing garbage"), std::string::npos);

  write_file(bad, "plain text, not gzip");
  EXPECT_NE(std::string(verify_error(bad).what()).find("not a gzip stream"), std::string::npos);

  write_file(bad, "");
  EXPECT_EQ(verify_error(bad).kind(), ErrorKind::kCorrupt);

  std::string flipped = bytes;
  flipped[n / 2] ^= 0x40;  // inside the deflate data
  write_file(bad, flipped);
  EXPECT_EQ(verify_error(bad).kind(), ErrorKind::kCorrupt);

  EXPECT_EQ(verify_error(dir.path() + "/missing.gz").kind(), ErrorKind::kNotFound);
  EXPECT_NO_THROW(verify_gzip_file(good));
}

// The verifier follows a file while it is written, as create_backup does: it must see exactly
// the bytes the writer produced, however the writes and reads interleave.
TEST(GzipStreamTest, GrowingFileIsVerifiedWhileItIsWritten) {
  TempDir dir;
  std::string path = dir.path() + "/growing.gz";
  std::string data = sample_sql(60000);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  GrowingFileSource source(path);
  GzipCheck check;
  std::thread verifier([&] {
    DumpFileReader reader(path, [&](uint8_t* buf, size_t max) { return source.read(buf, max); });
    check = verify_gzip(reader);
  });
  GzipFileWriter w(fd, path);
  w.on_output([&](uint64_t bytes) { source.publish(bytes); });
  for (size_t i = 0; i < data.size(); i += 4096) {
    w.write(std::string_view(data).substr(i, 4096));
    if (i % (64 * 4096) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  w.finish();
  source.finish();
  verifier.join();
  close(fd);
  EXPECT_EQ(check.uncompressed_bytes, data.size());
  EXPECT_EQ(check.compressed_bytes, fs::file_size(path));
  EXPECT_EQ(check.sha256, w.sha256_hex());
  EXPECT_EQ(check.tail, data.substr(data.size() - 4096));
}

TEST(GzipStreamTest, AbortedWriteLeavesTheVerifierWithATruncatedFile) {
  TempDir dir;
  std::string path = dir.path() + "/aborted.gz";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  GrowingFileSource source(path);
  std::string error;
  std::thread verifier([&] {
    try {
      DumpFileReader reader(path, [&](uint8_t* buf, size_t max) { return source.read(buf, max); });
      verify_gzip(reader);
    } catch (const Error& e) {
      error = e.what();
    }
  });
  GzipFileWriter w(fd, path);
  w.on_output([&](uint64_t bytes) { source.publish(bytes); });
  w.write(sample_sql(60000));  // the dump fails here, before finish()
  source.abort();
  verifier.join();
  close(fd);
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find("stopped before finishing"), std::string::npos) << error;
}

TEST(GzipStreamTest, ReaderWithoutDigestReadsTheSameSqlAndHasNoChecksum) {
  TempDir dir;
  std::string path = dir.path() + "/d.gz";
  std::string data = sample_sql(3000);
  write_gzip(path, data, GzipEngine::kIsal);
  DumpFileReader reader(path, DumpFileReader::Digest::kSkip);
  std::string sql(data.size() + 10, '\0');
  size_t got = 0;
  while (size_t n = reader.read(sql.data() + got, sql.size() - got)) got += n;
  EXPECT_EQ(sql.substr(0, got), data);
  try {
    reader.sha256_hex();
    ADD_FAILURE() << "a digest without computing one";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
}

TEST(GzipStreamTest, WriteErrorsNameTheFile) {
  int fd = open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  GzipFileWriter w(fd, "the-backup.sql.gz.tmp");
  try {
    std::string data = sample_sql(200000);
    w.write(data);
    w.finish();
    ADD_FAILURE() << "writing to /dev/full succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("the-backup.sql.gz.tmp"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No space left"), std::string::npos);
  }
  close(fd);
}

}  // namespace
}  // namespace keepsake::backup
