// Test-only fault injection at the named phases of the operations that change the library or its
// backups (docs/RELIABILITY.md, the fault matrix). `fault::point("backup.create.renamed")` does
// nothing unless the build has test hooks (CMake option KEEPSAKE_FAULT_INJECTION, ON with the test
// build, OFF in scripts/run.sh's release build) AND KEEPSAKE_FAULT=<phase>:<kill|eio|enospc|stop>
// names that phase. Then `kill` ends the process with SIGKILL (a power cut); `eio` and `enospc`
// throw the keepsake::Error(kIo) that a failed write, fsync or rename of that step throws, so the
// fault goes through the step's real error handling; `stop` stops the process (SIGSTOP) the first
// time the phase is reached, so a test can break something underneath (restart PostgreSQL) at
// exactly that point and then continue it (SIGCONT). Each operation declares its phases in one constexpr list
// next to its code; the matrix test is generated from those lists.
// Must never act in a release build, nor on a phase its environment does not name.
#pragma once

#include <span>
#include <string_view>

namespace keepsake::fault {

// An operation and its phases, in the order a successful run reaches them.
struct Operation {
  std::string_view name;
  std::span<const std::string_view> phases;
};

// True when this build was compiled with the test hooks.
bool compiled_in();

// The fault injection point of a step whose I/O failures are thrown as keepsake::Error(kIo).
void point(std::string_view phase);
// The same for a C-style call that reports failure through errno: true (errno set) when the
// fault is an I/O error, so that `if (fault::failed("x") || fsync(fd) != 0) throw ...(errno)`
// takes the call's own failure path.
bool failed(std::string_view phase);

}  // namespace keepsake::fault
