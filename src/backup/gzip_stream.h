// Streaming gzip for database backups: a writer that compresses into a file descriptor as data
// arrives (ISA-L igzip level 1, or zlib level 1 as the fallback), and a verifier that decompresses
// a whole file, checking every member's CRC-32 and length. Neither ever holds a whole file in
// memory. The writer ends a gzip member at the first line end after every 32 MiB of SQL: the file
// is still one standard gzip stream (RFC 1952 allows any number of members; gunzip, zcat and
// Immich's restore read them as one), and a restore can start decompressing at any member, so
// several connections load one file without each decompressing all of it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keepsake::backup {

enum class GzipEngine { kIsal, kZlib };

class GzipFileWriter {
 public:
  static constexpr uint64_t kMemberBytes = 32ULL << 20;

  // `fd` stays owned by the caller; `label` names the file in errors. A member ends at the first
  // '\n' after `member_bytes` of input (0: the whole file is one member).
  GzipFileWriter(int fd, std::string label, GzipEngine engine = GzipEngine::kIsal,
                 uint64_t member_bytes = kMemberBytes);
  ~GzipFileWriter();
  GzipFileWriter(const GzipFileWriter&) = delete;
  GzipFileWriter& operator=(const GzipFileWriter&) = delete;

  // Compresses and writes. Throws Error(kIo) naming the file and the cause (e.g. disk full).
  void write(std::string_view data);
  // Ends the last gzip member and writes everything still buffered.
  void finish();

  uint64_t bytes_in() const { return bytes_in_; }
  int members() const { return members_; }  // gzip members ended so far
  uint64_t bytes_out() const { return bytes_out_; }
  // SHA-256 (hex) of the compressed bytes written; valid after finish().
  std::string sha256_hex() const;
  // Called with the total bytes written to the file after every write (e.g. to let a verifier
  // follow the file).
  void on_output(std::function<void(uint64_t bytes_out)> observer) { observer_ = std::move(observer); }

 private:
  struct Impl;
  void compress(std::string_view data);
  void end_member();
  void flush_output(size_t n);
  std::unique_ptr<Impl> impl_;
  std::string label_;
  int fd_;
  uint64_t member_bytes_;
  uint64_t member_in_ = 0;  // input bytes in the current member
  int members_ = 0;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
  std::function<void(uint64_t)> observer_;
};

struct GzipCheck {
  uint64_t compressed_bytes = 0;
  uint64_t uncompressed_bytes = 0;
  int members = 0;
  std::string sha256;  // hex, of the file's bytes
  std::string tail;    // the last bytes (up to 4 KiB) of the decompressed content
};

// A place where reading can start without decompressing what comes before: the first byte of a
// gzip member (in a plain file, any byte), and the SQL offset its first byte produces.
struct SeekPoint {
  uint64_t file_offset = 0;
  uint64_t sql_offset = 0;
  bool line_start = false;  // the SQL before it is empty or ends with '\n'
};

// Reads a dump file as SQL: a gzip file (any number of members, each CRC-32 and length checked)
// is decompressed as it is read, any other file is read as it is. Reads sequentially and never
// holds more than one buffer. Throws Error(kCorrupt) naming the problem (bad CRC or length,
// truncated, trailing garbage) as soon as it is met, Error(kIo/kNotFound) when the file cannot be
// read.
class DumpFileReader {
 public:
  // Reads bytes into buf; returns 0 only at the end of the input. Throws keepsake::Error.
  using Source = std::function<size_t(uint8_t* buf, size_t max)>;

  // kSkip: no SHA-256 of the file bytes (sha256_hex() then throws), for readers that only need
  // the SQL, such as a restore's loaders after the scan checked the file.
  enum class Digest { kCompute, kSkip };

  explicit DumpFileReader(const std::string& path, Digest digest = Digest::kCompute);
  // Reads from `source` instead of a file; `label` names it in errors.
  DumpFileReader(const std::string& label, Source source, Digest digest = Digest::kCompute);
  // Reads `path` from a seek point an earlier reader of the same file recorded (no SHA-256).
  DumpFileReader(const std::string& path, const SeekPoint& start, bool compressed);
  ~DumpFileReader();
  DumpFileReader(const DumpFileReader&) = delete;
  DumpFileReader& operator=(const DumpFileReader&) = delete;

  // Up to `max` bytes of SQL into buf; 0 at the end of the input (after every check passed).
  size_t read(char* buf, size_t max);
  // Skips SQL bytes (decompressing them) until `offset` bytes have been produced in all.
  void skip_to(uint64_t offset);

  bool compressed() const { return compressed_; }
  uint64_t sql_bytes() const { return sql_bytes_; }           // SQL produced so far
  uint64_t file_bytes() const { return file_bytes_; }         // file bytes consumed so far
  int members() const { return members_; }
  // The gzip members started so far (the first kMaxSeekPoints): where later readers may start.
  const std::vector<SeekPoint>& seek_points() const { return seek_points_; }
  static constexpr size_t kMaxSeekPoints = 1 << 16;
  std::string sha256_hex();                                   // of the file bytes; after the end
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  bool fill_input();
  void start_member();
  Error corrupt(const std::string& what) const;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  bool compressed_ = false;
  bool in_member_ = false;
  bool at_end_ = false;
  int members_ = 0;
  uint64_t sql_bytes_ = 0, file_bytes_ = 0;
  char last_sql_byte_ = '\n';
  std::vector<SeekPoint> seek_points_;
};

// Reads a file while another thread is still writing it, up to the size the writer published,
// waiting for more until the writer says it is done: verification can then run alongside the
// dump instead of after it. Thread-safe between one writer (publish/finish) and one reader.
class GrowingFileSource {
 public:
  explicit GrowingFileSource(const std::string& path);
  ~GrowingFileSource();
  GrowingFileSource(const GrowingFileSource&) = delete;
  GrowingFileSource& operator=(const GrowingFileSource&) = delete;

  void publish(uint64_t bytes_written);  // writer: this many bytes are in the file now
  void finish();                         // writer: no more bytes will come
  void abort();                          // writer: stop the reader (its next read throws: truncated)
  size_t read(uint8_t* buf, size_t max);  // reader: blocks for bytes; 0 at the end

 private:
  struct State;
  void signal(const std::function<void(State&)>& change);  // change under the lock, wake the reader
  std::unique_ptr<State> state_;
  std::string path_;
  int fd_;
  uint64_t pos_ = 0;
};

// Decompresses a whole dump stream (which must be gzip), checking every member.
GzipCheck verify_gzip(DumpFileReader& reader, const std::function<void(uint64_t)>& progress = {});

// Decompresses the whole file. Throws Error(kCorrupt) naming what is wrong (not gzip, bad CRC or
// length, truncated, trailing garbage), or Error(kIo/kNotFound) when the file cannot be read.
// `progress` (optional) gets the compressed bytes read so far; `label` (default: the path) names
// the file in errors.
GzipCheck verify_gzip_file(const std::string& path,
                           const std::function<void(uint64_t)>& progress = {},
                           const std::string& label = {});

// True when the bytes start like a gzip stream (magic 1f 8b, method deflate).
bool looks_like_gzip(std::string_view head);

}  // namespace keepsake::backup
