#include "dev/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace keepsake::dev {

Progress::Progress(int64_t total, std::ostream& out, Style style)
    : total_(std::max<int64_t>(1, total)), out_(out), style_(style) {
  if (style_ == Style::kAuto) {
    style_ = (&out_ == &std::cerr && isatty(STDERR_FILENO)) ? Style::kBar : Style::kLines;
  }
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t units, const std::string& stage) {
  done_ += units;
  stage_ = stage;
  if (style_ == Style::kSilent) return;
  auto now = std::chrono::steady_clock::now();
  auto every = style_ == Style::kBar ? std::chrono::milliseconds(200) : std::chrono::seconds(5);
  if (now - last_draw_ < every) return;
  last_draw_ = now;
  draw(stage, false);
}

void Progress::finish() {
  if (style_ == Style::kSilent) return;
  draw("done", true);
}

void Progress::draw(const std::string& stage, bool final) {
  double seconds = elapsed_seconds();
  double fraction = std::min(1.0, static_cast<double>(done_) / total_);
  double rate = seconds > 0 ? done_ / seconds : 0;
  char tail[160];
  std::snprintf(tail, sizeof tail, "%5.1f%%  %lld rows  %.0f rows/s  %.1f s  %s", fraction * 100,
                static_cast<long long>(done_), rate, seconds, stage.c_str());
  if (style_ == Style::kBar) {
    const int width = 30;
    int filled = static_cast<int>(fraction * width);
    out_ << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << tail
         << "\033[K";
    if (final) out_ << "\n";
  } else {
    out_ << "seed: " << tail << "\n";
  }
  out_.flush();
}

}  // namespace keepsake::dev
