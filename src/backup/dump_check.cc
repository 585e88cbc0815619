#include "backup/dump_check.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backup/backup_files.h"
#include "backup/gzip_stream.h"
#include "common/error.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHeadBytes = 4096;
constexpr size_t kTailBytes = 4096;

// pg_dump's, and pg_dumpall's (the cluster dumps of Immich <= 2.4).
constexpr const char* kCompletionMarkers[] = {"-- PostgreSQL database dump complete\n",
                                              "-- PostgreSQL database cluster dump complete\n"};

bool is_text_control(unsigned char c) {
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f';
}

// Valid UTF-8 without control characters other than whitespace; a sequence cut by the end of
// `text` counts as valid.
bool is_utf8_text(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (is_text_control(c)) return false;
      ++i;
      continue;
    }
    size_t length = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (length == 0) return false;
    uint32_t code = c & (0x7F >> length);
    size_t have = std::min(length, text.size() - i);
    for (size_t k = 1; k < have; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (have == length) {
      static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
      if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    }
    i += have;
  }
  return true;
}

bool starts_like_sql(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t first = text.find_first_not_of(" \t\r\n\f");
  if (first == std::string_view::npos) return false;
  text.remove_prefix(first);
  if (text.substr(0, 2) == "--" || text.substr(0, 2) == "/*" || text.front() == '\\') return true;
  auto c = static_cast<unsigned char>(text.front());
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kNotFound, "cannot open " + path);
  std::string head(kHeadBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

std::string read_tail(const std::string& path, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(size > kTailBytes ? size - kTailBytes : 0));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

DumpFormat detect_dump_format(std::string_view head) {
  if (looks_like_gzip(head)) return DumpFormat::kGzip;
  if (is_utf8_text(head) && starts_like_sql(head)) return DumpFormat::kSql;
  return DumpFormat::kNeither;
}

bool dump_is_complete(const std::string& tail) {
  size_t at = std::string::npos, marker_size = 0;
  for (const char* marker : kCompletionMarkers) {
    size_t found = tail.rfind(marker);
    if (found != std::string::npos && (at == std::string::npos || found > at)) {
      at = found, marker_size = std::strlen(marker);
    }
  }
  if (at == std::string::npos) return false;
  std::istringstream rest(tail.substr(at + marker_size));
  std::string line;
  while (std::getline(rest, line)) {
    if (line.empty() || line == "--" || line.rfind("\\unrestrict ", 0) == 0) continue;
    return false;
  }
  return true;
}

VerifyResult verify_backup_file(const std::string& path, const std::function<void(uint64_t)>& progress,
                                const std::string& label) {
  const std::string& name = label.empty() ? path : label;
  VerifyResult v;
  v.path = path;
  std::string head = read_head(path);
  DumpFormat format = detect_dump_format(head);
  if (format == DumpFormat::kNeither) {
    throw Error(ErrorKind::kCorrupt, name + (head.empty() ? " is empty" : " is not a gzip stream or SQL dump"),
                "choose a backup made by Immich or Keepsake (.sql.gz or .sql)");
  }
  std::string tail;
  if (format == DumpFormat::kGzip || ends_with(name, ".gz") || ends_with(path, ".gz")) {
    auto check = verify_gzip_file(path, progress, name);
    v.size = check.compressed_bytes;
    v.uncompressed_size = check.uncompressed_bytes;
    v.sha256 = check.sha256;
    tail = check.tail;
    v.compressed = true;
  } else {
    v.size = v.uncompressed_size = fs::file_size(path);
    tail = read_tail(path, v.size);
  }
  if (!dump_is_complete(tail)) {
    throw Error(ErrorKind::kCorrupt,
                name + " is incomplete: the dump does not end with pg_dump's completion trailer",
                "the dump was cut off; do not restore it");
  }
  if (auto expected = read_sha256_sidecar(path)) {
    if (!v.compressed) throw Error(ErrorKind::kInternal, "sidecars are only written for .sql.gz files");
    if (*expected != v.sha256) {
      throw Error(ErrorKind::kCorrupt, name + " does not match its checksum in " + name + ".sha256",
                  "the file changed after it was written; do not restore it");
    }
    v.sidecar_checked = true;
  }
  return v;
}

}  // namespace keepsake::backup
