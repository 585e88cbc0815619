#include "dev/copy_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/error.h"

namespace keepsake::dev {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Timestamp Timestamp::from_seconds(double seconds) {
  return Timestamp{static_cast<int64_t>(std::llround(seconds * 1e6))};
}

std::string format_timestamp(Timestamp t) {
  int64_t secs = floor_div(t.micros, 1000000);
  int64_t micros = t.micros - secs * 1000000;
  int64_t days = floor_div(secs, 86400);
  int64_t rem = secs - days * 86400;
  Civil c = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                static_cast<long long>(c.y), c.m, c.d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(micros));
  return buf;
}

std::string format_date(Timestamp t) { return format_timestamp(t).substr(0, 10); }

namespace {

// True when `text` has exactly the layout, where 'd' stands for any digit.
bool has_layout(std::string_view text, std::string_view layout) {
  if (text.size() != layout.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool ok = layout[i] == 'd' ? text[i] >= '0' && text[i] <= '9' : text[i] == layout[i];
    if (!ok) return false;
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

Timestamp parse_utc_time(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string str(text);
  bool date_only = has_layout(str, "dddd-dd-dd");
  bool full = has_layout(std::string_view(str).substr(0, 19), "dddd-dd-ddTdd:dd:dd") &&
              (str.size() == 19 || (str.size() == 20 && str.back() == 'Z'));
  if (date_only || full) std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s);
  if ((!date_only && !full) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
      s > 59) {
    throw Error(ErrorKind::kInvalidArgument, "invalid UTC time '" + str + "'",
                "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  }
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return Timestamp{(days * 86400 + h * 3600 + mi * 60 + s) * 1000000};
}

void CopyLine::separate() {
  if (!first_) out_ += '\t';
  first_ = false;
}

CopyLine& CopyLine::raw(std::string_view value) {
  separate();
  out_.append(value);
  return *this;
}

CopyLine& CopyLine::text(std::string_view value) {
  separate();
  for (char c : value) {
    switch (c) {
      case '\\': out_ += "\\\\"; break;
      case '\t': out_ += "\\t"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      default: out_ += c;
    }
  }
  return *this;
}

CopyLine& CopyLine::text(const std::optional<std::string>& value) {
  return value ? text(*value) : null();
}

CopyLine& CopyLine::null() { return raw("\\N"); }

CopyLine& CopyLine::integer(int64_t value) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  return raw(std::string_view(buf, r.ptr - buf));
}

CopyLine& CopyLine::real(double value) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  return raw(std::string_view(buf, r.ptr - buf));
}

CopyLine& CopyLine::boolean(bool value) { return raw(value ? "t" : "f"); }

CopyLine& CopyLine::timestamp(const std::optional<Timestamp>& value) {
  return value ? timestamp(*value) : null();
}

CopyLine& CopyLine::bytea(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  separate();
  out_ += "\\\\x";
  for (unsigned char c : bytes) {
    out_ += hex[c >> 4];
    out_ += hex[c & 15];
  }
  return *this;
}

CopyLine& CopyLine::vector(std::span<const float> values) {
  separate();
  out_ += '[';
  char buf[32];
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out_ += ',';
    auto r = std::to_chars(buf, buf + sizeof buf, values[i], std::chars_format::general, 7);
    out_.append(buf, r.ptr);
  }
  out_ += ']';
  return *this;
}

void CopyLine::end() { out_ += '\n'; }

std::string copy_statement(std::string_view table, const std::vector<std::string>& columns) {
  std::string sql = "COPY " + db::quote_ident(table) + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) sql += ", ";
    sql += db::quote_ident(columns[i]);
  }
  return sql + ") FROM STDIN";
}

CopyStream::CopyStream(db::Connection& conn, std::string_view table,
                       const std::vector<std::string>& columns)
    : conn_(conn), table_(table) {
  conn_.copy_in_begin(copy_statement(table, columns), "load table " + table_);
  buffer_.reserve(kFlushBytes + 64 * 1024);
}

CopyStream::~CopyStream() {
  if (open_) {
    // Abandoned (an exception is unwinding): end the COPY so the connection stays usable; the
    // surrounding transaction rolls back.
    try {
      PQputCopyEnd(conn_.raw(), "abandoned by the seeder");
      while (PGresult* res = PQgetResult(conn_.raw())) PQclear(res);
    } catch (...) {
    }
  }
}

void CopyStream::maybe_flush() {
  if (buffer_.size() < kFlushBytes) return;
  conn_.copy_in_put(buffer_);
  bytes_ += static_cast<int64_t>(buffer_.size());
  buffer_.clear();
}

int64_t CopyStream::finish() {
  if (!buffer_.empty()) conn_.copy_in_put(buffer_);
  bytes_ += static_cast<int64_t>(buffer_.size());
  buffer_.clear();
  open_ = false;
  return conn_.copy_in_end();
}

}  // namespace keepsake::dev
