// The COPY text -> COPY BINARY encoder (src/restore/binary_copy): any text, cut anywhere, encodes
// the same as in one piece; what it encodes is well-formed COPY BINARY (one tuple per row, the
// column count, uuid fields of 16 bytes, vectors whose header matches their length); the COPY
// statement helpers never crash.
#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "restore/binary_copy.h"

namespace {

using namespace keepsake::restore;

uint32_t read_u32(std::string_view& s) {
  if (s.size() < 4) std::abort();
  uint32_t v;
  std::memcpy(&v, s.data(), 4);
  s.remove_prefix(4);
  return ntohl(v);
}

uint16_t read_u16(std::string_view& s) {
  if (s.size() < 2) std::abort();
  uint16_t v;
  std::memcpy(&v, s.data(), 2);
  s.remove_prefix(2);
  return ntohs(v);
}

size_t check_tuples(std::string_view out, const std::vector<BinaryColumn>& columns) {
  size_t tuples = 0;
  while (!out.empty()) {
    if (read_u16(out) != columns.size()) std::abort();
    for (auto column : columns) {
      uint32_t length = read_u32(out);
      if (length == 0xffffffffu) continue;
      if (out.size() < length) std::abort();
      std::string_view field = out.substr(0, length);
      out.remove_prefix(length);
      if (column == BinaryColumn::kUuid && length != 16) std::abort();
      if (column == BinaryColumn::kVector) {
        uint16_t dims = read_u16(field);
        if (read_u16(field) != 0 || field.size() != 4u * dims || dims == 0) std::abort();
      }
    }
    ++tuples;
  }
  return tuples;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  keepsake::fuzz::Input in(data, size);
  uint8_t layout = in.byte();
  std::vector<BinaryColumn> columns;
  for (int i = 0; i < 1 + (layout & 3); ++i) {
    columns.push_back((layout >> (2 + i)) & 1 ? BinaryColumn::kVector : BinaryColumn::kUuid);
  }
  size_t cut = in.byte();
  std::string statement(in.field());
  std::string_view text = in.rest();
  (void)binary_copy_statement(statement);
  (void)copy_columns(statement, "public.t");

  BinaryCopyEncoder whole(columns);
  std::string one;
  bool ok = whole.encode(text, one);
  BinaryCopyEncoder pieces(columns);
  std::string two;
  cut = std::min(cut, text.size());
  bool ok2 = pieces.encode(text.substr(0, cut), two) && pieces.encode(text.substr(cut), two);
  if (ok != ok2) std::abort();
  if (!ok) return 0;
  if (one != two || whole.pending() != pieces.pending()) std::abort();
  size_t rows = 0;
  for (char c : text) rows += c == '\n';
  if (check_tuples(one, columns) != rows) std::abort();
  return 0;
}
