// The standard output of a child process as a pull stream (for a reader that asks for bytes,
// such as backup::DumpFileReader's Source): the child runs under run_process_streaming on a
// thread of its own and hands its output over through a small bounded buffer, so nothing of it
// is written to disk or held whole in memory. Destroying the reader before the end kills the
// child (SIGKILL) and reaps it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/process.h"

namespace keepsake {

class ProcessReader {
 public:
  explicit ProcessReader(ProcessOptions options);
  ~ProcessReader();
  ProcessReader(const ProcessReader&) = delete;
  ProcessReader& operator=(const ProcessReader&) = delete;

  // Up to `max` bytes of the child's output; 0 at its end once the child exited with 0. Throws
  // Error(kIo) with the child's last stderr line when it failed.
  size_t read(uint8_t* buf, size_t max);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace keepsake
