#include "restore/binary_copy.h"

#include <arpa/inet.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace keepsake::restore {
namespace {

constexpr size_t kMaxVectorDimensions = 16000;  // pgvector's VECTOR_MAX_DIM

void put_u16(std::string& out, uint16_t v) {
  v = htons(v);
  out.append(reinterpret_cast<const char*>(&v), 2);
}

void put_u32(std::string& out, uint32_t v) {
  v = htonl(v);
  out.append(reinterpret_cast<const char*>(&v), 4);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The canonical form uuid_out writes: 8-4-4-4-12 hex digits.
bool encode_uuid(std::string_view field, std::string& out) {
  if (field.size() != 36) return false;
  char bytes[16];
  size_t b = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (field[i++] != '-') return false;
      continue;
    }
    int hi = hex_value(field[i]), lo = hex_value(field[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[b++] = static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  put_u32(out, 16);
  out.append(bytes, 16);
  return true;
}

}  // namespace

std::string_view BinaryCopyEncoder::header() {
  static const char kHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
  return std::string_view(kHeader, 19);
}

std::string_view BinaryCopyEncoder::trailer() { return std::string_view("\377\377", 2); }

// pgvector's text form as vector_out writes it: [f,f,...] with no spaces, every float finite.
bool BinaryCopyEncoder::encode_vector(std::string_view field, std::string& out) {
  if (field.size() < 3 || field.front() != '[' || field.back() != ']') return false;
  floats_.clear();
  const char* p = field.data() + 1;
  const char* end = field.data() + field.size() - 1;
  for (;;) {
    float f;
    auto [next, ec] = std::from_chars(p, end, f);
    if (ec != std::errc{} || next == p || !std::isfinite(f)) return false;
    floats_.push_back(f);
    if (next == end) break;
    if (*next != ',') return false;
    p = next + 1;
  }
  if (floats_.size() > kMaxVectorDimensions) return false;
  put_u32(out, static_cast<uint32_t>(4 + 4 * floats_.size()));
  put_u16(out, static_cast<uint16_t>(floats_.size()));
  put_u16(out, 0);
  size_t at = out.size();
  out.resize(at + 4 * floats_.size());
  for (float f : floats_) {
    uint32_t bits = htonl(std::bit_cast<uint32_t>(f));
    std::memcpy(out.data() + at, &bits, 4);
    at += 4;
  }
  return true;
}

bool BinaryCopyEncoder::encode_row(std::string_view row, std::string& out) {
  put_u16(out, static_cast<uint16_t>(columns_.size()));
  for (size_t i = 0; i < columns_.size(); ++i) {
    size_t tab = row.find('\t');
    if ((tab == std::string_view::npos) != (i + 1 == columns_.size())) return false;
    std::string_view field = row.substr(0, tab);
    row.remove_prefix(tab == std::string_view::npos ? row.size() : tab + 1);
    if (field == "\\N") {
      put_u32(out, 0xffffffffu);
      continue;
    }
    bool ok =
        columns_[i] == BinaryColumn::kUuid ? encode_uuid(field, out) : encode_vector(field, out);
    if (!ok) return false;
  }
  return true;
}

bool BinaryCopyEncoder::encode(std::string_view text, std::string& out) {
  if (!partial_.empty()) {
    size_t nl = text.find('\n');
    partial_.append(text.substr(0, nl));
    if (nl == std::string_view::npos) return true;
    text.remove_prefix(nl + 1);
    bool ok = encode_row(partial_, out);
    partial_.clear();
    if (!ok) return false;
  }
  for (size_t nl; (nl = text.find('\n')) != std::string_view::npos; text.remove_prefix(nl + 1)) {
    if (!encode_row(text.substr(0, nl), out)) return false;
  }
  partial_.assign(text);
  return true;
}

std::optional<std::string> binary_copy_statement(const std::string& copy_statement) {
  static const std::string kTail = ") FROM stdin;";
  size_t n = copy_statement.size();
  if (n < kTail.size() || copy_statement.compare(n - kTail.size(), kTail.size(), kTail) != 0)
    return std::nullopt;
  return copy_statement.substr(0, n - kTail.size() + 1) + " FROM stdin WITH (FORMAT binary);";
}

std::optional<std::vector<std::string>> copy_columns(const std::string& copy_statement,
                                                     const std::string& table) {
  std::string prefix = "COPY " + table + " (";
  size_t at = copy_statement.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  size_t open = at + prefix.size() - 1;
  std::vector<std::string> columns(1);
  bool quoted = false;
  for (size_t i = open + 1; i < copy_statement.size(); ++i) {
    char c = copy_statement[i];
    if (quoted) {
      if (c != '"') {
        columns.back() += c;
      } else if (i + 1 < copy_statement.size() && copy_statement[i + 1] == '"') {
        columns.back() += '"', ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      columns.emplace_back();
    } else if (c == ')') {
      return columns;
    } else if (c != ' ') {
      columns.back() += c;
    }
  }
  return std::nullopt;
}

}  // namespace keepsake::restore
