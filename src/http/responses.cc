#include "http/responses.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace keepsake::http {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

struct FdCloser {
  explicit FdCloser(int descriptor) : fd(descriptor) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

// The one byte range asked for, clamped to the file; nullopt = whole file; throws on 416.
std::optional<ByteRange> requested_range(const httplib::Request& req, uint64_t size) {
  if (req.ranges.size() != 1) return std::nullopt;  // none, or several: send the whole file
  auto [a, b] = req.ranges.front();
  ByteRange range;
  if (a < 0) {  // suffix: the last b bytes
    if (b <= 0 || size == 0) return ByteRange{size, 0};
    uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(b), size);
    return ByteRange{size - n, n};
  }
  uint64_t first = static_cast<uint64_t>(a);
  if (first >= size) return ByteRange{size, 0};
  uint64_t last = (b < 0 || static_cast<uint64_t>(b) >= size) ? size - 1 : static_cast<uint64_t>(b);
  if (last < first) return ByteRange{size, 0};
  return ByteRange{first, last - first + 1};
}

bool write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = ::write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    length -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  // A message may echo what a client sent (a path, a name): bytes that are not UTF-8 become U+FFFD
  // instead of an exception.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void send_no_content(httplib::Response& res) {
  res.status = 204;
  res.body.clear();
}

nlohmann::json error_body(int status, const nlohmann::json& message) {
  return {{"message", message}, {"error", http_status_text(status)}, {"statusCode", status}};
}

void send_error(httplib::Response& res, int status, const nlohmann::json& message) {
  send_json(res, error_body(status, message), status);
}

void send_error(httplib::Response& res, const Error& error) {
  send_error(res, http_status_for(error.kind()), error.what());
}

bool request_is_secure(const RequestContext& ctx) { return ctx.header("X-Forwarded-Proto") == "https"; }

void set_cookie(httplib::Response& res, const std::string& name, const std::string& value,
                const CookieOptions& options) {
  std::string cookie = name + "=" + value + "; Path=" + options.path;
  if (options.max_age_seconds >= 0) {
    cookie += "; Max-Age=" + std::to_string(options.max_age_seconds);
  }
  if (options.http_only) cookie += "; HttpOnly";
  if (options.secure) cookie += "; Secure";
  if (!options.same_site.empty()) cookie += "; SameSite=" + options.same_site;
  res.headers.emplace("Set-Cookie", cookie);
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  size_t count = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < count; ++i) {
    std::string value = req.get_header_value("Cookie", i);
    std::string_view header = value;
    while (!header.empty()) {
      size_t semi = header.find(';');
      std::string_view pair = header.substr(0, semi);
      header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
    }
  }
  return {};
}

void send_file(RequestContext& ctx, const std::string& path, const FileOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    throw Error(ErrorKind::kNotFound, "File not found");
  }
  auto file = std::make_shared<FdCloser>(fd);
  auto size = static_cast<uint64_t>(st.st_size);
  auto& res = ctx.response();
  const auto& req = ctx.request();
  auto range = requested_range(req, size);
  if (range && range->length == 0) {
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    send_error(res, 416, "Range Not Satisfiable");
    return;
  }
  // httplib would apply the Range header again to our provider; the range is ours now.
  const_cast<httplib::Request&>(req).ranges.clear();
  uint64_t first = range ? range->first : 0;
  uint64_t length = range ? range->length : size;
  res.status = range ? 206 : 200;
  if (range) {
    res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" +
                                        std::to_string(first + length - 1) + "/" +
                                        std::to_string(size));
  }
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Cache-Control", options.cache_control);
  if (!options.download_name.empty()) {
    res.set_header("Content-Disposition", "attachment; filename=\"" + options.download_name + "\"");
  }
  if (length == 0) {
    res.set_content("", options.content_type);
    return;
  }
  res.set_content_provider(
      length, options.content_type,
      [file, first](size_t offset, size_t want, httplib::DataSink& sink) {
        char buffer[kChunkBytes];
        size_t n = std::min(want, sizeof(buffer));
        ssize_t got = ::pread(file->fd, buffer, n, static_cast<off_t>(first + offset));
        if (got <= 0) return false;
        return sink.write(buffer, static_cast<size_t>(got));
      });
}

ReceivedFile receive_file(RequestContext& ctx, const std::string& field,
                          const std::string& destination) {
  const std::string partial = destination + ".part";
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::kIo, "Cannot store the upload", "check free space and permissions");
  FdCloser closer(fd);
  ReceivedFile received;
  bool in_field = false, seen = false, write_failed = false;
  bool ok = ctx.read_multipart(
      [&](const httplib::MultipartFormData& part) {
        in_field = part.name == field && !seen;
        if (in_field) {
          seen = true;
          received.filename = part.filename;
        }
        return true;
      },
      [&](const char* data, size_t length) {
        if (!in_field) return true;
        if (!write_all(fd, data, length)) {
          write_failed = true;
          return false;
        }
        received.bytes += length;
        return true;
      });
  std::error_code ec;
  if (write_failed || ::fsync(fd) != 0) {
    std::filesystem::remove(partial, ec);
    throw Error(ErrorKind::kIo, "Cannot store the upload", "check free space and permissions");
  }
  if (!ok || !seen) {
    std::filesystem::remove(partial, ec);
    throw Error(ErrorKind::kInvalidArgument,
                !ok ? "Upload was cut short" : "Missing multipart field '" + field + "'");
  }
  std::filesystem::rename(partial, destination, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    throw Error(ErrorKind::kIo, "Cannot store the upload", "check free space and permissions");
  }
  return received;
}

}  // namespace keepsake::http
