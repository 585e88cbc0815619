#include "backup/gzip_stream.h"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
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
};

GzipFileWriter::GzipFileWriter(int fd, std::string label, GzipEngine engine)
    : impl_(std::make_unique<Impl>()), label_(std::move(label)), fd_(fd) {
  impl_->engine = engine;
  if (engine == GzipEngine::kIsal) {
    isal_deflate_init(&impl_->isal);
    impl_->level_buf.resize(ISAL_DEF_LVL1_DEFAULT);
    impl_->isal.level = 1;
    impl_->isal.level_buf = impl_->level_buf.data();
    impl_->isal.level_buf_size = static_cast<uint32_t>(impl_->level_buf.size());
    impl_->isal.gzip_flag = IGZIP_GZIP;
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
}

void GzipFileWriter::write(std::string_view data) {
  if (impl_->finished) throw Error(ErrorKind::kInternal, "gzip writer used after finish");
  bytes_in_ += data.size();
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

void GzipFileWriter::finish() {
  if (impl_->finished) return;
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
  }
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
  explicit FileReader(const std::string& path) : path_(path), fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) {
      int e = errno;
      throw Error(e == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                  "cannot open " + path + ": " + std::strerror(e));
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

void keep_tail(std::string& tail, const uint8_t* data, size_t n) {
  if (n >= kTailSize) {
    tail.assign(reinterpret_cast<const char*>(data) + n - kTailSize, kTailSize);
    return;
  }
  tail.append(reinterpret_cast<const char*>(data), n);
  if (tail.size() > kTailSize) tail.erase(0, tail.size() - kTailSize);
}

}  // namespace

GzipCheck verify_gzip_file(const std::string& path, const std::function<void(uint64_t)>& progress) {
  FileReader file(path);
  GzipCheck check;
  Sha256 sha;
  std::vector<uint8_t> in(kOutSize), out(kOutSize);
  auto state = std::make_unique<inflate_state>();
  isal_inflate_init(state.get());
  state->crc_flag = ISAL_GZIP;
  bool in_member = false;
  auto corrupt = [&](const std::string& what) {
    return Error(ErrorKind::kCorrupt, path + " is not a valid gzip file: " + what,
                 "the file is damaged or incomplete; do not restore it");
  };
  for (;;) {
    size_t n = file.read(in.data(), in.size());
    if (n == 0) break;
    sha.update(in.data(), n);
    check.compressed_bytes += n;
    state->next_in = in.data();
    state->avail_in = static_cast<uint32_t>(n);
    bool output_was_full = false;
    while (state->avail_in > 0 || output_was_full) {
      if (!in_member && state->avail_in > 0) {
        if (state->next_in[0] != 0x1f || (state->avail_in >= 2 && state->next_in[1] != 0x8b)) {
          throw corrupt(check.members == 0 ? "not a gzip stream (bad magic number)"
                                           : "trailing garbage after the last gzip member");
        }
        in_member = true;
        ++check.members;
      }
      state->next_out = out.data();
      state->avail_out = static_cast<uint32_t>(out.size());
      int rc = isal_inflate(state.get());
      if (rc < 0) throw corrupt(inflate_error_text(rc));
      size_t produced = out.size() - state->avail_out;
      output_was_full = state->avail_out == 0;
      check.uncompressed_bytes += produced;
      keep_tail(check.tail, out.data(), produced);
      if (state->block_state == ISAL_BLOCK_FINISH) {
        in_member = false;
        output_was_full = false;
        uint8_t* next = state->next_in;
        uint32_t left = state->avail_in;
        isal_inflate_reset(state.get());
        state->crc_flag = ISAL_GZIP;
        state->next_in = next;
        state->avail_in = left;
      }
    }
    if (progress) progress(check.compressed_bytes);
  }
  if (check.members == 0) throw corrupt("the file is empty");
  if (in_member) throw corrupt("the file is truncated (the last gzip member has no end)");
  check.sha256 = sha.hex();
  return check;
}

}  // namespace keepsake::backup
