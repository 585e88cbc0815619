#include "common/fault_point.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "common/error.h"
#include "common/log.h"

namespace keepsake::fault {

#ifdef KEEPSAKE_FAULT_INJECTION

bool compiled_in() { return true; }

namespace {

// The errno to fail with at this phase (0: none); never returns after a kill.
int injected(std::string_view phase) {
  const char* wanted = std::getenv("KEEPSAKE_FAULT");
  if (!wanted) return 0;
  std::string_view spec(wanted);
  auto colon = spec.rfind(':');
  if (colon == std::string_view::npos || spec.substr(0, colon) != phase) return 0;
  std::string_view kind = spec.substr(colon + 1);
  spdlog::warn("fault injected at {}: {}", phase, kind);
  spdlog::default_logger()->flush();
  if (kind == "kill") raise(SIGKILL);
  static bool stopped_once = false;
  if (kind == "stop" && !std::exchange(stopped_once, true)) raise(SIGSTOP);
  return kind == "enospc" ? ENOSPC : kind == "eio" ? EIO : 0;
}

}  // namespace

void point(std::string_view phase) {
  if (int code = injected(phase))
    throw Error(ErrorKind::kIo, std::string(phase) + ": " + std::strerror(code));
}

bool failed(std::string_view phase) {
  int code = injected(phase);
  if (code) errno = code;
  return code != 0;
}

#else

bool compiled_in() { return false; }

void point(std::string_view) {}

bool failed(std::string_view) { return false; }

#endif

}  // namespace keepsake::fault
