// Progress of a long-running dev command: a redrawn bar on a terminal, or one line every few
// seconds otherwise (logs, CI). Writes to the given stream only; never to stdout by default.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace keepsake::dev {

class Progress {
 public:
  // total = expected units (rows); style kAuto picks the bar when `out` is stderr on a terminal.
  enum class Style { kAuto, kBar, kLines, kSilent };
  Progress(int64_t total, std::ostream& out, Style style = Style::kAuto);

  void advance(int64_t units, const std::string& stage);
  void finish();
  int64_t done() const { return done_; }
  double elapsed_seconds() const;

 private:
  void draw(const std::string& stage, bool final);

  int64_t total_, done_ = 0;
  std::ostream& out_;
  Style style_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::string stage_;
};

}  // namespace keepsake::dev
