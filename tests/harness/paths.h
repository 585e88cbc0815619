// Where the tests find the repository's files and the build's binary. Every path lies inside the
// repository or the build folder, so a plain clone with no sibling folders passes its own tests.
// KEEPSAKE_SOURCE_ROOT in the environment replaces the repository root (the fresh-clone test runs
// the suite against a copy of the tracked files that way).
#pragma once

#include <string>

namespace keepsake::testing {

// The repository root this test binary was built from (or KEEPSAKE_SOURCE_ROOT).
std::string source_dir();
// The vendored Immich v2.7.5 catalog and its query: source_dir() + "/tests/spec".
std::string spec_dir();
// The `keepsake` binary built beside this test binary.
const std::string& keepsake_binary();

}  // namespace keepsake::testing
