// The progress of a long command on stderr: on a terminal one redrawn line with a bar, the
// percent, the rate and the time left; elsewhere (logs, CI, a pipe) one plain line at most every
// 10 % or 10 seconds. Never writes to stdout, which carries the command's result.
#pragma once

#include <chrono>
#include <string>

namespace keepsake::cli {

// What one line shows. `total` 0 = unknown (then no bar, no percent and no time left).
struct ProgressSample {
  std::string what;          // "verify", "restore", ...
  double done = 0, total = 0;
  std::string unit;          // "B" (shown as KiB, MiB, ...), a noun ("originals"), or "" for a
                             // share of work without a count (percent and time left only)
  double seconds = 0;        // since the start
  std::string stage;         // optional words after the figures
};

// "512 B", "1.5 MiB", "2.0 GiB". Pure.
std::string human_bytes(double bytes);

// One line, e.g. "verify   [#########           ]  45%  2250/5000 originals  41.2/s  ETA 1:07".
// The rate is done / seconds; "ETA" appears once a rate is known. Pure.
std::string format_progress(const ProgressSample& s, bool bar);

class ProgressBar {
 public:
  ProgressBar(std::string what, std::string unit);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(double done, double total, const std::string& stage = {});
  // Clears the terminal line (the command prints its result next). Also done on destruction.
  void finish();

 private:
  std::string what_, unit_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_{};
  double last_fraction_ = -1;
};

}  // namespace keepsake::cli
