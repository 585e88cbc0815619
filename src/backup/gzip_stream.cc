#include "backup/gzip_stream.h"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <cstring>
#include <vector>

#include "common/error.h"

namespace keepsake::backup {
namespace {

constexpr size_t kOutSize = 1 << 20;
constexpr size_t kTailSize = 4096;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void update(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += kHex[md[i] >> 4], out += kHex[md[i] & 15];
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

void write_all(int fd, const uint8_t* data, size_t n, const std::string& label) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = w < 0 ? errno : ENOSPC;
      std::string hint = (e == ENOSPC || e == EFBIG || e == EDQUOT)
                             ? "free space in the backups folder (or lower keepLastAmount) and retry"
                             : "";
      throw Error(ErrorKind::kIo, "cannot write " + label + ": " + std::strerror(e), hint);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

struct GzipFileWriter::Impl {
  GzipEngine engine;
  isal_zstream isal{};
  std::vector<uint8_t> level_buf;
  z_stream z{};
  std::vector<uint8_t> out = std::vector<uint8_t>(kOutSize);
  Sha256 sha;
  std::string digest;
  bool finished = false;

  // A fresh ISA-L stream for the next member (isal_deflate_reset does not write the next
  // member's gzip header in every ISA-L version).
  void start_isal_member() {
    isal_deflate_init(&isal);
    level_buf.resize(ISAL_DEF_LVL1_DEFAULT);
    isal.level = 1;
    isal.level_buf = level_buf.data();
    isal.level_buf_size = static_cast<uint32_t>(level_buf.size());
    isal.gzip_flag = IGZIP_GZIP;
  }
};

GzipFileWriter::GzipFileWriter(int fd, std::string label, GzipEngine engine, uint64_t member_bytes)
    : impl_(std::make_unique<Impl>()), label_(std::move(label)), fd_(fd), member_bytes_(member_bytes) {
  impl_->engine = engine;
  if (engine == GzipEngine::kIsal) {
    impl_->start_isal_member();
  } else if (deflateInit2(&impl_->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error(ErrorKind::kInternal, "cannot initialise zlib");
  }
}

GzipFileWriter::~GzipFileWriter() {
  if (impl_->engine == GzipEngine::kZlib) deflateEnd(&impl_->z);
}

void GzipFileWriter::flush_output(size_t n) {
  if (n == 0) return;
  impl_->sha.update(impl_->out.data(), n);
  write_all(fd_, impl_->out.data(), n, label_);
  bytes_out_ += n;
  if (observer_) observer_(bytes_out_);
}

void GzipFileWriter::write(std::string_view data) {
  if (impl_->finished) throw Error(ErrorKind::kInternal, "gzip writer used after finish");
  bytes_in_ += data.size();
  while (!data.empty()) {
    size_t take = data.size();
    bool ends_member = false;
    if (member_bytes_ > 0 && member_in_ + take >= member_bytes_) {
      size_t from = member_in_ >= member_bytes_ ? 0 : static_cast<size_t>(member_bytes_ - member_in_) - 1;
      if (size_t nl = data.find('\n', from); nl != std::string_view::npos) take = nl + 1, ends_member = true;
    }
    compress(data.substr(0, take));
    member_in_ += take;
    if (ends_member) end_member();
    data.remove_prefix(take);
  }
}

void GzipFileWriter::compress(std::string_view data) {
  auto* in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
  if (impl_->engine == GzipEngine::kIsal) {
    auto& s = impl_->isal;
    s.next_in = in;
    s.avail_in = static_cast<uint32_t>(data.size());
    s.end_of_stream = 0;
    while (s.avail_in > 0) {
      s.next_out = impl_->out.data();
      s.avail_out = static_cast<uint32_t>(kOutSize);
      if (isal_deflate(&s) != COMP_OK) throw Error(ErrorKind::kInternal, "ISA-L compression failed");
      flush_output(kOutSize - s.avail_out);
    }
    return;
  }
  auto& z = impl_->z;
  z.next_in = in;
  z.avail_in = static_cast<uInt>(data.size());
  while (z.avail_in > 0) {
    z.next_out = impl_->out.data();
    z.avail_out = static_cast<uInt>(kOutSize);
    deflate(&z, Z_NO_FLUSH);
    flush_output(kOutSize - z.avail_out);
  }
}

// Writes the end of the current member (the rest of its data, CRC-32 and length) and readies
// the next one.
void GzipFileWriter::end_member() {
  if (impl_->engine == GzipEngine::kIsal) {
    auto& s = impl_->isal;
    s.next_in = nullptr;
    s.avail_in = 0;
    s.end_of_stream = 1;
    do {
      s.next_out = impl_->out.data();
      s.avail_out = static_cast<uint32_t>(kOutSize);
      if (isal_deflate(&s) != COMP_OK) throw Error(ErrorKind::kInternal, "ISA-L compression failed");
      flush_output(kOutSize - s.avail_out);
    } while (s.internal_state.state != ZSTATE_END);
    impl_->start_isal_member();
  } else {
    auto& z = impl_->z;
    int rc;
    do {
      z.next_out = impl_->out.data();
      z.avail_out = static_cast<uInt>(kOutSize);
      rc = deflate(&z, Z_FINISH);
      flush_output(kOutSize - z.avail_out);
    } while (rc == Z_OK || rc == Z_BUF_ERROR);
    if (rc != Z_STREAM_END) throw Error(ErrorKind::kInternal, "zlib compression failed");
    deflateReset(&z);
  }
  ++members_;
  member_in_ = 0;
}

void GzipFileWriter::finish() {
  if (impl_->finished) return;
  if (member_in_ > 0 || members_ == 0) end_member();
  impl_->finished = true;
  impl_->digest = impl_->sha.hex();
}

std::string GzipFileWriter::sha256_hex() const { return impl_->digest; }

bool looks_like_gzip(std::string_view head) {
  return head.size() >= 3 && static_cast<uint8_t>(head[0]) == 0x1f &&
         static_cast<uint8_t>(head[1]) == 0x8b && head[2] == 8;
}

namespace {

const char* inflate_error_text(int rc) {
  switch (rc) {
    case ISAL_INCORRECT_CHECKSUM: return "the CRC-32 or length in a gzip trailer does not match the data";
    case ISAL_INVALID_WRAPPER: return "not a gzip stream (bad header)";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported gzip compression method";
    default: return "invalid deflate data";
  }
}

class FileReader {
 public:
  explicit FileReader(const std::string& path, uint64_t offset = 0)
      : path_(path), fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) {
      int e = errno;
      throw Error(e == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                  "cannot open " + path + ": " + std::strerror(e));
    }
    if (offset > 0 && lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      int e = errno;
      close(fd_);
      throw Error(ErrorKind::kIo, "cannot seek in " + path + ": " + std::strerror(e));
    }
    posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  ~FileReader() { close(fd_); }
  size_t read(uint8_t* buf, size_t n) {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) throw Error(ErrorKind::kIo, "cannot read " + path_ + ": " + std::strerror(errno));
    }
  }

 private:
  std::string path_;
  int fd_;
};

DumpFileReader::Source file_source(const std::string& path, uint64_t offset) {
  return [file = std::make_shared<FileReader>(path, offset)](uint8_t* buf, size_t max) { return file->read(buf, max); };
}

void keep_tail(std::string& tail, const char* data, size_t n) {
  if (n >= kTailSize) {
    tail.assign(data + n - kTailSize, kTailSize);
    return;
  }
  tail.append(data, n);
  if (tail.size() > kTailSize) tail.erase(0, tail.size() - kTailSize);
}

}  // namespace

struct DumpFileReader::Impl {
  Impl(Source s, Digest d) : source(std::move(s)) {
    if (d == Digest::kCompute) sha.emplace();
  }
  Source source;
  std::optional<Sha256> sha;
  std::string digest;
  std::vector<uint8_t> in = std::vector<uint8_t>(kOutSize);
  uint8_t* next = nullptr;  // unconsumed file bytes in `in`
  size_t avail = 0;
  bool file_done = false;
  inflate_state state{};

  void start_inflate() {  // at the start of the file and of every member
    isal_inflate_init(&state);
    state.crc_flag = ISAL_GZIP;
  }
};

DumpFileReader::DumpFileReader(const std::string& path, Digest digest)
    : DumpFileReader(path, file_source(path, 0), digest) {}

DumpFileReader::DumpFileReader(const std::string& label, Source source, Digest digest)
    : impl_(std::make_unique<Impl>(std::move(source), digest)), path_(label) {
  fill_input();
  compressed_ = looks_like_gzip(std::string_view(reinterpret_cast<const char*>(impl_->next),
                                                 std::min<size_t>(impl_->avail, 3)));
  if (compressed_) impl_->start_inflate();
}

DumpFileReader::DumpFileReader(const std::string& path, const SeekPoint& start, bool compressed)
    : impl_(std::make_unique<Impl>(file_source(path, start.file_offset), Digest::kSkip)),
      path_(path),
      compressed_(compressed),
      sql_bytes_(start.sql_offset),
      file_bytes_(start.file_offset),
      last_sql_byte_(start.line_start ? '\n' : '\0') {
  if (compressed_) impl_->start_inflate();
}

DumpFileReader::~DumpFileReader() = default;

void DumpFileReader::start_member() {
  in_member_ = true;
  ++members_;
  if (seek_points_.size() < kMaxSeekPoints) {
    seek_points_.push_back({file_bytes_ - impl_->avail, sql_bytes_, last_sql_byte_ == '\n'});
  }
}

Error DumpFileReader::corrupt(const std::string& what) const {
  return Error(ErrorKind::kCorrupt, path_ + " is not a valid gzip file: " + what,
               "the file is damaged or incomplete; do not restore it");
}

// Refills the input buffer when it is empty; false at the end of the file.
bool DumpFileReader::fill_input() {
  if (impl_->avail > 0) return true;
  if (impl_->file_done) return false;
  size_t n = impl_->source(impl_->in.data(), impl_->in.size());
  if (n == 0) {
    impl_->file_done = true;
    return false;
  }
  if (impl_->sha) impl_->sha->update(impl_->in.data(), n);
  file_bytes_ += n;
  impl_->next = impl_->in.data();
  impl_->avail = n;
  return true;
}

size_t DumpFileReader::read(char* buf, size_t max) {
  if (at_end_ || max == 0) return 0;
  if (!compressed_) {
    if (!fill_input()) return at_end_ = true, 0;
    size_t n = std::min(max, impl_->avail);
    std::memcpy(buf, impl_->next, n);
    impl_->next += n;
    impl_->avail -= n;
    sql_bytes_ += n;
    return n;
  }
  auto& st = impl_->state;
  for (;;) {
    if (!fill_input()) {
      if (members_ == 0) throw corrupt("the file is empty");
      if (in_member_) throw corrupt("the file is truncated (the last gzip member has no end)");
      at_end_ = true;
      return 0;
    }
    if (!in_member_) {
      if (impl_->next[0] != 0x1f || (impl_->avail >= 2 && impl_->next[1] != 0x8b)) {
        throw corrupt(members_ == 0 ? "not a gzip stream (bad magic number)"
                                    : "trailing garbage after the last gzip member");
      }
      start_member();
    }
    st.next_in = impl_->next;
    st.avail_in = static_cast<uint32_t>(impl_->avail);
    st.next_out = reinterpret_cast<uint8_t*>(buf);
    st.avail_out = static_cast<uint32_t>(std::min<size_t>(max, UINT32_MAX));
    int rc = isal_inflate(&st);
    if (rc < 0) throw corrupt(inflate_error_text(rc));
    impl_->next = st.next_in;
    impl_->avail = st.avail_in;
    size_t produced = std::min<size_t>(max, UINT32_MAX) - st.avail_out;
    if (st.block_state == ISAL_BLOCK_FINISH) {
      in_member_ = false;
      impl_->start_inflate();
    }
    sql_bytes_ += produced;
    if (produced > 0) {
      last_sql_byte_ = buf[produced - 1];
      return produced;
    }
  }
}

void DumpFileReader::skip_to(uint64_t offset) {
  std::vector<char> scratch(kOutSize);
  while (sql_bytes_ < offset) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(scratch.size(), offset - sql_bytes_));
    if (read(scratch.data(), want) == 0) {
      throw Error(ErrorKind::kCorrupt, path_ + " ended before byte " + std::to_string(offset),
                  "the file changed since it was checked; check it again");
    }
  }
}

std::string DumpFileReader::sha256_hex() {
  if (!impl_->sha) throw Error(ErrorKind::kInternal, "no SHA-256 was computed while reading " + path_);
  if (impl_->digest.empty()) impl_->digest = impl_->sha->hex();
  return impl_->digest;
}

GzipCheck verify_gzip(DumpFileReader& reader, const std::function<void(uint64_t)>& progress) {
  if (!reader.compressed()) {
    std::string what = reader.file_bytes() == 0 ? "the file is empty" : "not a gzip stream (bad magic number)";
    throw Error(ErrorKind::kCorrupt, reader.path() + " is not a valid gzip file: " + what,
                "the file is damaged or incomplete; do not restore it");
  }
  GzipCheck check;
  std::vector<char> out(kOutSize);
  uint64_t reported = 0;
  while (size_t n = reader.read(out.data(), out.size())) {
    check.uncompressed_bytes += n;
    keep_tail(check.tail, out.data(), n);
    if (progress && reader.file_bytes() != reported) progress(reported = reader.file_bytes());
  }
  check.compressed_bytes = reader.file_bytes();
  check.members = reader.members();
  check.sha256 = reader.sha256_hex();
  return check;
}

GzipCheck verify_gzip_file(const std::string& path, const std::function<void(uint64_t)>& progress,
                           const std::string& label) {
  DumpFileReader reader(label.empty() ? path : label, file_source(path, 0));
  return verify_gzip(reader, progress);
}

struct GrowingFileSource::State {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t published = 0;
  bool finished = false, aborted = false;
};

GrowingFileSource::GrowingFileSource(const std::string& path)
    : state_(std::make_unique<State>()), path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (fd_ < 0) throw Error(ErrorKind::kIo, "cannot open " + path + " to verify it: " + std::strerror(errno));
}

GrowingFileSource::~GrowingFileSource() { close(fd_); }

void GrowingFileSource::signal(const std::function<void(State&)>& change) {
  {
    std::lock_guard lock(state_->mu);
    change(*state_);
  }
  state_->cv.notify_one();
}

void GrowingFileSource::publish(uint64_t bytes_written) {
  signal([&](State& s) { s.published = bytes_written; });
}
void GrowingFileSource::finish() { signal([](State& s) { s.finished = true; }); }
void GrowingFileSource::abort() { signal([](State& s) { s.aborted = true; }); }

size_t GrowingFileSource::read(uint8_t* buf, size_t max) {
  uint64_t limit;
  {
    std::unique_lock lock(state_->mu);
    state_->cv.wait(lock, [&] { return state_->aborted || state_->finished || state_->published > pos_; });
    if (state_->aborted) throw Error(ErrorKind::kCorrupt, path_ + " is truncated: its writer stopped before finishing it");
    limit = state_->published;
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(max, limit - pos_));
  if (want == 0) return 0;  // finished and everything read
  for (;;) {
    ssize_t r = ::pread(fd_, buf, want, static_cast<off_t>(pos_));
    if (r > 0) {
      pos_ += static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
    if (r == 0) throw Error(ErrorKind::kCorrupt, path_ + " is shorter than what was written to it");
    if (errno != EINTR) throw Error(ErrorKind::kIo, "cannot read " + path_ + ": " + std::strerror(errno));
  }
}

}  // namespace keepsake::backup
