// Encodes rows in PostgreSQL's COPY text format (tab-separated, \N for NULL, backslash escapes)
// and streams them to a COPY ... FROM STDIN in large chunks. Values are escaped here, so any
// string (tabs, newlines, backslashes, quotes) round-trips exactly.
// Must never build SQL statements from the values it encodes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"

namespace keepsake::dev {

// Seconds since the Unix epoch, with microseconds.
struct Timestamp {
  int64_t micros = 0;
  static Timestamp from_seconds(double seconds);
  double seconds() const { return static_cast<double>(micros) / 1e6; }
};

// "2019-05-03 12:34:56.789000+00" (always UTC).
std::string format_timestamp(Timestamp t);
// "2019-05-03".
std::string format_date(Timestamp t);
// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z]" as UTC; throws Error(kInvalidArgument).
Timestamp parse_utc_time(std::string_view text);

// One COPY text line under construction.
class CopyLine {
 public:
  explicit CopyLine(std::string& out) : out_(out) {}
  CopyLine& text(std::string_view value);
  CopyLine& text(const std::string& value) { return text(std::string_view(value)); }
  CopyLine& text(const char* value) { return text(std::string_view(value)); }
  CopyLine& text(const std::optional<std::string>& value);
  CopyLine& null();
  CopyLine& integer(int64_t value);
  CopyLine& real(double value);
  CopyLine& boolean(bool value);
  CopyLine& uuid(std::string_view value) { return raw(value); }
  CopyLine& timestamp(Timestamp value) { return raw(format_timestamp(value)); }
  CopyLine& timestamp(const std::optional<Timestamp>& value);
  CopyLine& bytea(std::string_view bytes);
  // pgvector's text form "[x,y,...]", 7 significant digits.
  CopyLine& vector(std::span<const float> values);
  // Ends the line.
  void end();

 private:
  CopyLine& raw(std::string_view value);
  void separate();
  std::string& out_;
  bool first_ = true;
};

// Streams COPY text into one table: `COPY <table> (<columns>) FROM STDIN`. Buffers about 1 MiB
// before each send. Column names are quoted with db::quote_ident.
class CopyStream {
 public:
  CopyStream(db::Connection& conn, std::string_view table, const std::vector<std::string>& columns);
  ~CopyStream();
  CopyStream(const CopyStream&) = delete;
  CopyStream& operator=(const CopyStream&) = delete;

  CopyLine row() {
    maybe_flush();
    ++rows_;
    return CopyLine(buffer_);
  }
  // Sends the rest and ends the COPY; returns the rows PostgreSQL loaded.
  int64_t finish();
  int64_t rows() const { return rows_; }
  int64_t bytes() const { return bytes_; }

 private:
  void maybe_flush();
  db::Connection& conn_;
  std::string table_;
  std::string buffer_;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
  bool open_ = true;
};

// The COPY statement CopyStream uses (exposed for the psql anchor of the seed benchmark).
std::string copy_statement(std::string_view table, const std::vector<std::string>& columns);

}  // namespace keepsake::dev
