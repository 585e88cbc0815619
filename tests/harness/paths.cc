#include "harness/paths.h"

#include <cstdlib>

namespace keepsake::testing {

std::string source_dir() {
  const char* root = std::getenv("KEEPSAKE_SOURCE_ROOT");
  return root && *root ? std::string(root) : std::string(KEEPSAKE_TEST_SOURCE_DIR);
}

std::string spec_dir() { return source_dir() + "/tests/spec"; }

const std::string& keepsake_binary() {
  static const std::string path = KEEPSAKE_TEST_BINARY;
  return path;
}

}  // namespace keepsake::testing
