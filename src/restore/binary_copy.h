// Turns pg_dump's COPY text rows into COPY BINARY for tables whose columns are all uuid or
// pgvector `vector` (Immich's smart_search and face_search: most of a library's dump). PostgreSQL
// spends most of a restore parsing the text of those floats with strtof; here std::from_chars
// parses them (correctly rounded, as strtof is, several times faster) and the server only copies
// bytes. Must never change a value: a row it cannot convert exactly (any form pg_dump does not
// write, a non-finite float) makes encode() return false, and the caller loads the text as it is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keepsake::restore {

enum class BinaryColumn { kUuid, kVector };

class BinaryCopyEncoder {
 public:
  explicit BinaryCopyEncoder(std::vector<BinaryColumn> columns) : columns_(std::move(columns)) {}

  // COPY BINARY's signature, flags and header extension; then tuples; then the trailer.
  static std::string_view header();
  static std::string_view trailer();

  // Appends to `out` the tuples of the rows that `text` completes (each ends with '\n'); a row
  // cut at the end of `text` is kept until a later call ends it. False when a row cannot be
  // converted exactly (the encoder and `out` are then unusable).
  bool encode(std::string_view text, std::string& out);
  // Bytes of a row begun but not ended yet (0 once the data ends on a row boundary).
  size_t pending() const { return partial_.size(); }

 private:
  bool encode_row(std::string_view row, std::string& out);
  bool encode_vector(std::string_view field, std::string& out);
  std::vector<BinaryColumn> columns_;
  std::vector<float> floats_;  // scratch
  std::string partial_;        // the row cut by the end of the last text
};

// pg_dump's `COPY t (cols) FROM stdin;` with FORMAT binary; nullopt for any other ending.
std::optional<std::string> binary_copy_statement(const std::string& copy_statement);

// The column names of pg_dump's `COPY <table> (<columns>) FROM stdin;`, unquoted, where
// `table` is the table as the statement writes it; nullopt when there is no column list.
std::optional<std::vector<std::string>> copy_columns(const std::string& copy_statement,
                                                     const std::string& table);

}  // namespace keepsake::restore
