#include "cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace keepsake::cli {
namespace {

std::string amount(double v, const std::string& unit) {
  if (unit == "B") return human_bytes(v);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string clock_text(double seconds) {
  auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

}  // namespace

std::string human_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string format_progress(const ProgressSample& s, bool bar) {
  std::string line = s.what;
  line.resize(std::max<size_t>(line.size(), 8), ' ');
  bool known = s.total > 0;
  double fraction = known ? std::clamp(s.done / s.total, 0.0, 1.0) : 0;
  if (bar && known) {
    constexpr int kWidth = 20;
    int filled = static_cast<int>(fraction * kWidth);
    line += " [" + std::string(filled, '#') + std::string(kWidth - filled, ' ') + "]";
  }
  char pct[16];
  std::snprintf(pct, sizeof pct, " %3d%%", static_cast<int>(fraction * 100));
  if (known) line += pct;
  bool bytes = s.unit == "B", counted = !s.unit.empty();
  if (counted) {
    line += "  " + amount(s.done, s.unit);
    if (known) line += (bytes ? " of " : "/") + amount(s.total, s.unit);
    if (!bytes) line += " " + s.unit;
  }
  if (s.seconds >= 1 && s.done > 0) {
    double rate = s.done / s.seconds;
    char r[32];
    if (bytes) line += "  " + amount(rate, "B") + "/s";
    else if (counted) std::snprintf(r, sizeof r, "  %.1f/s", rate), line += r;
    if (known && s.done < s.total) line += "  ETA " + clock_text((s.total - s.done) / rate);
  }
  if (!s.stage.empty()) line += "  " + s.stage;
  return line;
}

ProgressBar::ProgressBar(std::string what, std::string unit)
    : what_(std::move(what)), unit_(std::move(unit)), tty_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(double done, double total, const std::string& stage) {
  auto now = std::chrono::steady_clock::now();
  double fraction = total > 0 ? done / total : 0;
  if (tty_ ? now - last_draw_ < std::chrono::milliseconds(100)
           : now - last_draw_ < std::chrono::seconds(10) && fraction < last_fraction_ + 0.1) {
    return;
  }
  last_draw_ = now;
  last_fraction_ = fraction;
  ProgressSample s{what_, done, total, unit_, std::chrono::duration<double>(now - start_).count(), stage};
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", format_progress(s, true).c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s\n", format_progress(s, false).c_str());
  }
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace keepsake::cli
