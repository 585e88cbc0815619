// The COPY text encoder of the seeder (src/dev/copy_text): any bytes written as a text or bytea
// field decode back exactly (PostgreSQL's COPY text unescaping, done here independently), a line
// never holds a raw tab or newline inside a field, vectors it writes are accepted by the
// restore's binary encoder, and timestamps parse or throw keepsake::Error.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "dev/copy_text.h"
#include "fuzz_support.h"
#include "restore/binary_copy.h"

namespace {

// COPY FROM's text-format unescaping of one field (no \N here).
std::string unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out += field[i];
      continue;
    }
    if (++i == field.size()) std::abort();
    char c = field[i];
    switch (c) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int k = 0; k < 2 && i + 1 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '7'; ++k) {
            v = v * 8 + (field[++i] - '0');
          }
          out += static_cast<char>(v);
        } else {
          out += c;
        }
    }
  }
  return out;
}

// bytea's hex input form \x...
std::string from_bytea_hex(std::string_view text) {
  if (text.substr(0, 2) != "\\x" || text.size() % 2) std::abort();
  std::string out;
  for (size_t i = 2; i < text.size(); i += 2) out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keepsake::dev;
  keepsake::fuzz::Input in(data, size);
  std::string text(in.field()), bytes(in.field()), floats_raw(in.field()), when(in.field());
  if (text.find('\0') != std::string::npos) text.erase(text.find('\0'));  // PostgreSQL text holds no NUL

  std::string line;
  CopyLine(line).text(text).bytea(bytes).end();
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
  size_t tab = line.find('\t');
  if (tab == std::string::npos || line.find('\t', tab + 1) != std::string::npos) std::abort();
  if (unescape(line.substr(0, tab)) != text) std::abort();
  if (from_bytea_hex(unescape(line.substr(tab + 1, line.size() - tab - 2))) != bytes) std::abort();

  std::vector<float> floats(floats_raw.size() / 4);
  if (!floats.empty()) std::memcpy(floats.data(), floats_raw.data(), floats.size() * 4);
  bool finite = !floats.empty();
  for (float f : floats) finite = finite && std::isfinite(f);
  std::string row;
  CopyLine(row).vector(floats).end();
  keepsake::restore::BinaryCopyEncoder encoder({keepsake::restore::BinaryColumn::kVector});
  std::string out;
  if (encoder.encode(row, out) != (finite && floats.size() <= 16000)) std::abort();

  try {
    Timestamp t = parse_utc_time(when);
    if (when.size() == 10 && format_date(t) != when) std::abort();
  } catch (const keepsake::Error&) {
  }
  return 0;
}
